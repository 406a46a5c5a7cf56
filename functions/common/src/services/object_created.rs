//! The S3 notification `documents-check` is invoked with, typed with only
//! what the check needs: each record's object key. Every other field of S3's
//! records (`userIdentity`, `requestParameters`, `sequencer`, ...) is
//! ignored, present or not, so that a record that lacks one (moto's do) is
//! still checked; and S3's `s3:TestEvent`, which has no `Records`, is an event
//! with nothing to check rather than a failed invocation that S3 would retry.
//!
//! Each record's `eventTime` is when S3 stored the object: the instant the
//! piece counts from, however late the check runs. The function also takes
//! the message its on-failure destination keeps of a dropped invocation
//! (`{"requestPayload": <the S3 event>, "requestContext": ..., ...}`), so
//! that an operator replays it as it is (docs/deploy.md).

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// An S3 event notification (`{"Records": [...]}`), or a failed invocation
/// of one as Lambda's on-failure destination records it.
#[derive(Debug, Default, Deserialize)]
pub struct ObjectCreatedEvent {
    #[serde(rename = "Records", default)]
    records: Vec<Record>,
    /// The original event, in an on-failure destination's message.
    #[serde(rename = "requestPayload", default)]
    request_payload: Option<Box<ObjectCreatedEvent>>,
}

#[derive(Debug, Deserialize)]
struct Record {
    s3: Entity,
    /// When S3 stored the object (absent: the check's time stands for it).
    #[serde(rename = "eventTime", default)]
    event_time: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
struct Entity {
    object: Object,
}

#[derive(Debug, Deserialize)]
struct Object {
    /// URL-encoded, `+` for spaces: see `documents::decode_event_key`.
    key: String,
}

impl ObjectCreatedEvent {
    /// The object keys, as S3 encodes them in notifications.
    pub fn raw_keys(&self) -> impl Iterator<Item = &str> {
        self.objects().map(|(key, _)| key)
    }

    /// Each object's key (as S3 encodes it) and when S3 stored it.
    pub fn objects(&self) -> Box<dyn Iterator<Item = (&str, Option<DateTime<Utc>>)> + '_> {
        let own = self
            .records
            .iter()
            .map(|r| (r.s3.object.key.as_str(), r.event_time));
        match &self.request_payload {
            Some(payload) => Box::new(own.chain(payload.objects())),
            None => Box::new(own),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(json: &str) -> Vec<String> {
        let event: ObjectCreatedEvent = serde_json::from_str(json).expect("an S3 event");
        event.raw_keys().map(str::to_owned).collect()
    }

    #[test]
    fn a_record_as_s3_sends_it_gives_its_key() {
        let aws = r#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"eu-west-3",
            "eventTime":"2021-12-02T09:00:01.123Z","eventName":"ObjectCreated:Put",
            "userIdentity":{"principalId":"AWS:AROAEXAMPLE"},"requestParameters":{"sourceIPAddress":"192.0.2.1"},
            "responseElements":{"x-amz-request-id":"C3D13FE58DE4C810","x-amz-id-2":"FMyUVURIY8"},
            "s3":{"s3SchemaVersion":"1.0","configurationId":"check","bucket":{"name":"examreg-prod-1-eu-west-3",
            "ownerIdentity":{"principalId":"A3NL1KOZZKExample"},"arn":"arn:aws:s3:::examreg-prod-1-eu-west-3"},
            "object":{"key":"candidates/a1/identity_document/u1","size":1024,"eTag":"d41d8cd98f00b204e9800998ecf8427e",
            "versionId":"096fKKXTRTtl3on89fVO.nfljtsv6qko","sequencer":"0055AED6DCD90281E5"}}}]}"#;
        assert_eq!(keys(aws), ["candidates/a1/identity_document/u1"]);
    }

    #[test]
    fn a_record_without_the_fields_the_check_does_not_need_is_read() {
        // As moto sends it: no userIdentity, requestParameters,
        // responseElements, versionId nor sequencer.
        let moto = r#"{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"eu-west-3",
            "eventTime":"2021-12-02T09:00:01.123Z","eventName":"ObjectCreated:Put",
            "s3":{"s3SchemaVersion":"1.0","configurationId":"x","bucket":{"name":"b","arn":"arn:aws:s3:::b"},
            "object":{"key":"candidates%2Fa1%2Fsigned_confirmation%2Fu2","size":125,"eTag":"e"}}}]}"#;
        assert_eq!(keys(moto), ["candidates%2Fa1%2Fsigned_confirmation%2Fu2"]);
    }

    #[test]
    fn each_key_comes_with_the_instant_s3_stored_it() {
        let event: ObjectCreatedEvent = serde_json::from_str(
            r#"{"Records":[{"eventTime":"2021-11-07T22:59:58.120Z","s3":{"object":{"key":"candidates/a/b/c"}}}]}"#,
        )
        .unwrap();
        let objects: Vec<_> = event.objects().collect();
        assert_eq!(
            objects,
            [(
                "candidates/a/b/c",
                Some("2021-11-07T22:59:58.120Z".parse().unwrap())
            )]
        );
    }

    #[test]
    fn a_dropped_invocation_from_the_on_failure_queue_is_checked_as_the_original() {
        let message = r#"{"version":"1.0","timestamp":"2021-11-07T23:03:01.000Z",
            "requestContext":{"requestId":"e4b46cbf","functionArn":"arn:aws:lambda:eu-west-3:123456789012:function:examreg-prod-documents-check:$LATEST",
            "condition":"RetriesExhausted","approximateInvokeCount":3},
            "requestPayload":{"Records":[{"eventTime":"2021-11-07T22:59:58.000Z","eventName":"ObjectCreated:Put",
            "s3":{"object":{"key":"candidates%2Fa1%2Fidentity_document%2Fu1","size":1024}}}]},
            "responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},
            "responsePayload":{"errorType":"Throttled","errorMessage":"store throttled"}}"#;
        let event: ObjectCreatedEvent = serde_json::from_str(message).unwrap();
        let objects: Vec<_> = event.objects().collect();
        assert_eq!(
            objects,
            [(
                "candidates%2Fa1%2Fidentity_document%2Fu1",
                Some("2021-11-07T22:59:58Z".parse().unwrap())
            )]
        );
    }

    #[test]
    fn s3s_test_event_has_nothing_to_check() {
        let test_event = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2021-12-02T09:00:00.000Z",
            "Bucket":"examreg-prod-1-eu-west-3","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}"#;
        assert!(keys(test_event).is_empty());
    }
}
