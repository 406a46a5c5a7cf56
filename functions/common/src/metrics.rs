//! Business metrics in CloudWatch's Embedded Metric Format (EMF): one JSON
//! line on standard output per published set, which CloudWatch Logs turns
//! into metrics as it ingests the function's log. No API call, no
//! `cloudwatch:PutMetricData` grant, nothing added to a request's latency.
//!
//! The document follows the specification
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>):
//! `_aws.Timestamp` in epoch milliseconds, one `CloudWatchMetrics` directive
//! naming the namespace, no dimension (`[[]]`: the stack's namespace already
//! says which deployment), each metric's name and unit, and the values as
//! top-level members. serde writes the JSON; no AWS crate for Rust writes
//! EMF, and the format is this one object.
//!
//! The dashboard and the alarms of `template.yaml` read these names: they are
//! [`Metric`]'s variants, so that a name cannot drift between the two
//! (`tests/template.rs` checks the template against [`Metric::ALL`]).

use std::io::Write;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

/// What the code counts or measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Signups accepted (a pending account made or renewed).
    Signups,
    /// Inscriptions saved (created or changed).
    InscriptionsSaved,
    /// Uploads checked and received.
    UploadsAccepted,
    /// Uploads checked and refused (unreadable, too large, of the wrong type).
    UploadsRefused,
    /// The sweep's changes: accounts deleted, reminders, cancellations.
    SweepAccountsDeleted,
    SweepReminders,
    SweepCancellations,
    /// Lost checks the sweep recovered by its HEAD.
    SweepUploadsRecovered,
    /// Mails the sweep sent, and those whose sending failed this run.
    MailsSent,
    MailsFailed,
    /// How long the oldest mail due has waited since it was queued (0 when
    /// the run emptied the queue).
    MailBacklogAge,
    /// Items a sweep run read, and whether it finished (1) or left work.
    SweepItemsRead,
    SweepFinished,
}

/// CloudWatch's unit of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Seconds,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Seconds => "Seconds",
        }
    }
}

impl Metric {
    pub const ALL: [Metric; 13] = [
        Metric::Signups,
        Metric::InscriptionsSaved,
        Metric::UploadsAccepted,
        Metric::UploadsRefused,
        Metric::SweepAccountsDeleted,
        Metric::SweepReminders,
        Metric::SweepCancellations,
        Metric::SweepUploadsRecovered,
        Metric::MailsSent,
        Metric::MailsFailed,
        Metric::MailBacklogAge,
        Metric::SweepItemsRead,
        Metric::SweepFinished,
    ];

    /// The metric's name in CloudWatch.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Signups => "Signups",
            Metric::InscriptionsSaved => "InscriptionsSaved",
            Metric::UploadsAccepted => "UploadsAccepted",
            Metric::UploadsRefused => "UploadsRefused",
            Metric::SweepAccountsDeleted => "SweepAccountsDeleted",
            Metric::SweepReminders => "SweepReminders",
            Metric::SweepCancellations => "SweepCancellations",
            Metric::SweepUploadsRecovered => "SweepUploadsRecovered",
            Metric::MailsSent => "MailsSent",
            Metric::MailsFailed => "MailsFailed",
            Metric::MailBacklogAge => "MailBacklogAge",
            Metric::SweepItemsRead => "SweepItemsRead",
            Metric::SweepFinished => "SweepFinished",
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            Metric::MailBacklogAge => Unit::Seconds,
            _ => Unit::Count,
        }
    }
}

/// The EMF document of `values` at `at` in `namespace`.
pub fn emf_document(namespace: &str, at: DateTime<Utc>, values: &[(Metric, f64)]) -> Value {
    let definitions: Vec<Value> = values
        .iter()
        .map(|(metric, _)| json!({"Name": metric.name(), "Unit": metric.unit().name()}))
        .collect();
    let mut document = Map::new();
    document.insert(
        "_aws".into(),
        json!({
            "Timestamp": at.timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [[]],
                "Metrics": definitions,
            }],
        }),
    );
    for (metric, value) in values {
        document.insert(metric.name().into(), json!(value));
    }
    Value::Object(document)
}

/// Where published metrics go.
pub enum MetricsSink {
    /// Nowhere: the local runner and most tests (its logs are for people).
    Off,
    /// EMF lines on standard output, in `namespace` (a Lambda).
    Emf { namespace: String },
    /// Kept in memory, for the tests that check what is published.
    Recorded {
        namespace: String,
        documents: Mutex<Vec<Value>>,
    },
}

impl MetricsSink {
    /// A sink that records, for tests.
    pub fn recorded(namespace: impl Into<String>) -> Self {
        MetricsSink::Recorded {
            namespace: namespace.into(),
            documents: Mutex::new(Vec::new()),
        }
    }

    /// Publishes `values` measured at `at`. A failure to write is logged and
    /// never fails the work measured.
    pub fn publish(&self, at: DateTime<Utc>, values: &[(Metric, f64)]) {
        if values.is_empty() {
            return;
        }
        match self {
            MetricsSink::Off => {}
            MetricsSink::Emf { namespace } => {
                let line = emf_document(namespace, at, values).to_string();
                // One write of the whole line: Lambda's log agent splits
                // standard output on newlines.
                let mut out = std::io::stdout().lock();
                if let Err(e) = writeln!(out, "{line}") {
                    tracing::warn!(error = %e, "a metrics line could not be written");
                }
            }
            MetricsSink::Recorded {
                namespace,
                documents,
            } => {
                let document = emf_document(namespace, at, values);
                documents
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push(document);
            }
        }
    }

    /// One value published now-ish: a counter of 1 for `metric`.
    pub fn count(&self, at: DateTime<Utc>, metric: Metric) {
        self.publish(at, &[(metric, 1.0)]);
    }

    /// The documents a [`MetricsSink::Recorded`] holds (empty otherwise).
    pub fn documents(&self) -> Vec<Value> {
        match self {
            MetricsSink::Recorded { documents, .. } => documents
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone(),
            _ => Vec::new(),
        }
    }

    /// The sum of `metric` over the recorded documents.
    pub fn recorded_total(&self, metric: Metric) -> f64 {
        self.documents()
            .iter()
            .filter_map(|document| document.get(metric.name()).and_then(Value::as_f64))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        "2021-11-07T23:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_document_follows_the_embedded_metric_format() {
        let document = emf_document(
            "examreg/prod",
            at(),
            &[(Metric::MailsSent, 12.0), (Metric::MailBacklogAge, 90.0)],
        );
        let directive = &document["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(document["_aws"]["Timestamp"], json!(1_636_326_000_000_i64));
        assert_eq!(directive["Namespace"], "examreg/prod");
        assert_eq!(directive["Dimensions"], json!([[]]));
        assert_eq!(
            directive["Metrics"],
            json!([
                {"Name": "MailsSent", "Unit": "Count"},
                {"Name": "MailBacklogAge", "Unit": "Seconds"},
            ])
        );
        // Every metric named in the directive is a top-level number.
        assert_eq!(document["MailsSent"], json!(12.0));
        assert_eq!(document["MailBacklogAge"], json!(90.0));
    }

    #[test]
    fn every_metric_has_its_own_name() {
        let mut names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Metric::ALL.len());
    }

    #[test]
    fn a_recorded_sink_keeps_what_was_published_and_off_keeps_nothing() {
        let sink = MetricsSink::recorded("examreg/test");
        sink.count(at(), Metric::Signups);
        sink.count(at(), Metric::Signups);
        sink.publish(at(), &[]);
        assert_eq!(sink.documents().len(), 2);
        assert_eq!(sink.recorded_total(Metric::Signups), 2.0);
        let off = MetricsSink::Off;
        off.count(at(), Metric::Signups);
        assert!(off.documents().is_empty());
    }
}
