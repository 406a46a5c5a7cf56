//! The deployed-shape harness: the Lambda bootstraps that `sam build` ships
//! (host builds of the same crates), run the way AWS runs them, against moto.
//!
//! - each function's real bootstrap, warm, under a runtime API emulator
//!   ([`runtime`]) that sends absolute deadlines and X-Ray trace ids, with
//!   the environment `template.yaml` gives it plus what Lambda adds
//!   (`AWS_LAMBDA_FUNCTION_NAME`, ...);
//! - an HTTP API ([`gateway`]) built from the template's routes, turning
//!   requests into payload-2.0 events;
//! - every SDK call through an IAM proxy ([`iam`]) that refuses what the
//!   function's role in the template does not grant, and records the rest;
//! - S3's `ObjectCreated` notifications from moto's bucket published to SQS,
//!   then delivered to `documents-check` as S3 invokes it (asynchronously,
//!   two retries, then dropped);
//! - the sweep invoked with the schedule's own input, the admin function
//!   with console events;
//! - one wall clock for all the functions ([`clock`]), which a test moves
//!   past a window's close.
//!
//! Any template can be deployed, so that tests can prove that an altered
//! copy (a route or a grant removed) breaks the journey.

pub mod clock;
pub mod gateway;
pub mod iam;
pub mod runtime;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use chrono::{DateTime, Utc};
use examreg_common::testkit::moto::{
    libfaketime_library, moto_server, target_dir, workspace_root, MotoServer, REGION, TEST_SENDER,
};
use serde_json::{json, Value};

use crate::support::template::{
    as_list, function_property, functions, get_att_of, http_routes, load, resource, scalar, Stack,
};
use clock::FakeClock;
use iam::{Grant, Policies, Races, SdkCall};
use runtime::RuntimeApi;

/// moto's account.
pub const ACCOUNT: &str = "123456789012";

/// Attempts S3 makes to deliver one notification to a function (the first
/// and two retries).
const S3_DELIVERY_ATTEMPTS: usize = 3;

struct Lambda {
    api: Arc<RuntimeApi>,
    child: Child,
    log: PathBuf,
}

/// A deployment of a template on moto, with its functions running.
pub struct Deployment {
    /// The HTTP API's URL.
    pub url: String,
    pub clock: FakeClock,
    pub bucket: String,
    pub table: String,
    calls: Arc<Mutex<Vec<SdkCall>>>,
    policies: Policies,
    races: Races,
    lambdas: BTreeMap<String, Lambda>,
    schedule_input: Value,
    check_function: String,
    queue_url: String,
    dropped: Mutex<Vec<String>>,
    moto: &'static MotoServer,
    dir: PathBuf,
    http: reqwest::Client,
}

impl Deployment {
    /// Deploys `template` with the functions' clock at `now`.
    pub async fn start(template_path: &Path, now: DateTime<Utc>) -> Deployment {
        let template = load(template_path);
        let moto = moto_server().await;
        let library = tokio::task::spawn_blocking(libfaketime_library)
            .await
            .expect("libfaketime task")
            .unwrap_or_else(|e| panic!("libfaketime: {e}"));
        let binaries = tokio::task::spawn_blocking(|| function_binaries().clone())
            .await
            .expect("build task");
        let stage = format!("h{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let dir = std::env::temp_dir().join(format!("examreg-deployed-{stage}"));
        std::fs::create_dir_all(&dir).expect("the deployment's directory");
        let clock = FakeClock::new(dir.join("faketime"), now);
        let (url, listener) = gateway::bind().await;

        let mut stack = Stack {
            template: &template,
            values: BTreeMap::new(),
        };
        for (name, value) in [
            ("Stage", stage.as_str()),
            ("SenderEmail", TEST_SENDER),
            ("PortalOrigin", url.as_str()),
            ("AWS::Region", REGION),
            ("AWS::AccountId", ACCOUNT),
            ("AWS::Partition", "aws"),
            ("AWS::StackName", "examreg"),
            ("AWS::URLSuffix", "amazonaws.com"),
        ] {
            stack.values.insert(name.into(), value.into());
        }
        let table = stack.string(&resource(&template, "Table")["Properties"]["TableName"]);
        let bucket = stack.string(&resource(&template, "Bucket")["Properties"]["BucketName"]);
        stack.values.insert("Table".into(), table.clone());
        stack.values.insert(
            "Table.Arn".into(),
            format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"),
        );
        stack.values.insert("Bucket".into(), bucket.clone());
        // Every SendEmail names the SES configuration set: it must exist.
        let configuration_set =
            stack.string(&resource(&template, "MailConfigurationSet")["Properties"]["Name"]);
        stack
            .values
            .insert("MailConfigurationSet".into(), configuration_set.clone());
        for (id, function) in functions(&template) {
            let name = stack.string(&function["Properties"]["FunctionName"]);
            stack.values.insert(
                format!("{id}.Arn"),
                format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"),
            );
            stack.values.insert(id.to_owned(), name);
        }

        create_resources(moto, &table, &bucket).await;
        create_configuration_set(moto, &configuration_set).await;
        let queue_url = create_queue(moto, &stage).await;
        notify_queue(moto, &template, &stack, &bucket, &queue_url).await;

        let policies = policies(&template, &stack);
        let calls = Arc::new(Mutex::new(Vec::new()));
        let races = Races::default();
        let proxy = iam::start(
            moto.endpoint_url(),
            REGION,
            ACCOUNT,
            policies.clone(),
            calls.clone(),
            races.clone(),
        )
        .await;

        let mut lambdas = BTreeMap::new();
        for (id, function) in functions(&template) {
            let lambda = start_function(
                &template, &stack, id, function, &binaries, &proxy, &clock, &library, &dir,
            )
            .await;
            lambdas.insert(id.to_owned(), lambda);
        }
        let apis = lambdas
            .iter()
            .map(|(id, l)| (id.clone(), l.api.clone()))
            .collect();
        gateway::serve(listener, http_routes(&template), apis, ACCOUNT);

        Deployment {
            url,
            clock,
            bucket,
            table,
            calls,
            policies,
            races,
            lambdas,
            schedule_input: schedule_input(&template),
            check_function: notified_function(&template),
            queue_url,
            dropped: Mutex::new(Vec::new()),
            moto,
            dir,
            http: reqwest::Client::new(),
        }
    }

    /// Invokes a function synchronously with `payload`: its answer, or the
    /// error it reported.
    pub async fn invoke(&self, function: &str, payload: &Value) -> Result<Value, String> {
        let lambda = self
            .lambdas
            .get(function)
            .unwrap_or_else(|| panic!("no function {function}"));
        let answer = lambda.api.invoke(Bytes::from(payload.to_string())).await?;
        serde_json::from_slice(&answer).map_err(|e| format!("not JSON ({e}): {answer:?}"))
    }

    /// One run of the sweep, invoked as EventBridge Scheduler does: with the
    /// schedule's `Input`. Its report.
    pub async fn sweep(&self) -> Value {
        let report = self.invoke("SweepFunction", &self.schedule_input).await;
        report.unwrap_or_else(|e| panic!("the sweep failed: {e}\n{}", self.logs()))
    }

    /// An admin event, as an engineer sends it from the console: the answer.
    pub async fn admin(&self, event: &Value) -> Value {
        let answer = self.invoke("AdminFunction", event).await;
        answer.unwrap_or_else(|e| panic!("the admin function failed: {e}\n{}", self.logs()))
    }

    /// Delivers every S3 notification waiting in the queue to the check
    /// function, as S3 invokes it: asynchronously, retried twice on error,
    /// then dropped (see [`Deployment::dropped_notifications`]).
    pub async fn deliver_notifications(&self) {
        loop {
            let received = self
                .sqs(
                    "ReceiveMessage",
                    json!({"QueueUrl": self.queue_url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 0}),
                )
                .await;
            let messages = received["Messages"].as_array().cloned().unwrap_or_default();
            if messages.is_empty() {
                return;
            }
            for message in messages {
                let body = message["Body"].as_str().unwrap_or_default();
                let event: Value = serde_json::from_str(body).unwrap_or_default();
                // S3 sends its `s3:TestEvent` to a queue when the
                // notification is set, never to a function: an artefact of
                // the queue this harness puts in between.
                let mut outcome = Ok(Value::Null);
                let attempts = if event["Event"] == "s3:TestEvent" {
                    0
                } else {
                    S3_DELIVERY_ATTEMPTS
                };
                for _ in 0..attempts {
                    outcome = self.invoke(&self.check_function, &event).await;
                    if outcome.is_ok() {
                        break;
                    }
                }
                if let Err(e) = outcome {
                    self.dropped
                        .lock()
                        .expect("lock")
                        .push(format!("{body}: {e}"));
                }
                self.sqs(
                    "DeleteMessage",
                    json!({"QueueUrl": self.queue_url, "ReceiptHandle": message["ReceiptHandle"]}),
                )
                .await;
            }
        }
    }

    /// Makes `function`'s next conditional write fail as if another writer
    /// had come first (see [`iam`]).
    pub fn lose_next_write(&self, function: &str) {
        *self
            .races
            .lock()
            .expect("lock")
            .entry(function.to_owned())
            .or_default() += 1;
    }

    /// The notifications S3 gave up on: the check failed three times.
    pub fn dropped_notifications(&self) -> Vec<String> {
        self.dropped.lock().expect("lock").clone()
    }

    /// Every SDK call the functions made, with the action IAM checked.
    pub fn calls(&self) -> Vec<SdkCall> {
        self.calls.lock().expect("lock").clone()
    }

    /// The actions each function's role grants, by logical id.
    pub fn granted_actions(&self) -> BTreeMap<String, Vec<String>> {
        self.policies
            .iter()
            .map(|(id, grants)| {
                let mut actions: Vec<String> =
                    grants.iter().flat_map(|g| g.actions.clone()).collect();
                actions.sort();
                actions.dedup();
                (id.clone(), actions)
            })
            .collect()
    }

    /// Every function's stderr so far.
    pub fn logs(&self) -> String {
        self.lambdas
            .iter()
            .map(|(id, l)| {
                let text = std::fs::read_to_string(&l.log).unwrap_or_default();
                format!("--- {id}\n{text}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    async fn sqs(&self, operation: &str, body: Value) -> Value {
        sqs_call(&self.http, self.moto, operation, body).await
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        for lambda in self.lambdas.values_mut() {
            let _ = lambda.child.kill();
            let _ = lambda.child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The functions' binaries, built once per test process as `sam build`
/// builds them (each function's package, its own features), for the host.
fn function_binaries() -> &'static PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let template = load(crate::support::template::template_path());
        let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        command
            .current_dir(workspace_root())
            .args(["build", "--bins", "--quiet"])
            // A jobserver of the outer cargo is not ours to use.
            .env_remove("CARGO_MAKEFLAGS")
            .env_remove("MAKEFLAGS")
            .env_remove("MFLAGS");
        let mut packages: Vec<String> = functions(&template)
            .values()
            .map(|f| package_of(&scalar(&f["Properties"]["CodeUri"])))
            .collect();
        packages.sort();
        packages.dedup();
        for package in &packages {
            command.args(["-p", package]);
        }
        let status = command.status().expect("cannot run cargo build");
        assert!(status.success(), "cargo build of the functions failed");
        target_dir().join("debug")
    })
}

/// The package name of a function's `CodeUri` (`functions/documents`).
fn package_of(code_uri: &str) -> String {
    let manifest = workspace_root().join(code_uri).join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
    let parsed: toml::Table = toml::from_str(&text).expect("a Cargo.toml");
    parsed["package"]["name"]
        .as_str()
        .expect("package.name")
        .to_owned()
}

async fn create_resources(moto: &MotoServer, table: &str, bucket: &str) {
    examreg_common::adapters::dynamodb::create_table(&moto.dynamodb_client(), table)
        .await
        .unwrap_or_else(|e| panic!("cannot create {table}: {e}"));
    let location = aws_sdk_s3::types::CreateBucketConfiguration::builder()
        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(REGION))
        .build();
    moto.s3_client()
        .create_bucket()
        .bucket(bucket)
        .create_bucket_configuration(location)
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot create {bucket}: {e:?}"));
    moto.verified_sender().await;
}

/// The SES configuration set the functions send through (its event
/// destination, SNS to the sweep, is not emulated: the bounce tests deliver
/// SES's notifications to the sweep's entry point themselves).
async fn create_configuration_set(moto: &MotoServer, name: &str) {
    let set = aws_sdk_ses::types::ConfigurationSet::builder()
        .name(name)
        .build()
        .expect("a configuration set");
    moto.ses_client()
        .create_configuration_set()
        .configuration_set(set)
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot create the configuration set {name}: {e:?}"));
}

/// The queue S3 publishes the bucket's notifications to.
async fn create_queue(moto: &MotoServer, stage: &str) -> String {
    let created = sqs_call(
        &reqwest::Client::new(),
        moto,
        "CreateQueue",
        json!({"QueueName": format!("examreg-{stage}-uploads")}),
    )
    .await;
    created["QueueUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("CreateQueue: {created}"))
        .to_owned()
}

/// The bucket's notification to the check function, as the template declares
/// it (events, key filter), published to the queue instead: moto cannot
/// invoke a process of ours.
async fn notify_queue(
    moto: &MotoServer,
    template: &Value,
    stack: &Stack<'_>,
    bucket: &str,
    queue_url: &str,
) {
    use aws_sdk_s3::types::{
        Event, FilterRule, FilterRuleName, NotificationConfiguration,
        NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter,
    };
    let queue_name = queue_url.rsplit('/').next().unwrap_or_default();
    let queue_arn = format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_name}");
    let declared = stack.eval(
        &resource(template, "Bucket")["Properties"]["NotificationConfiguration"]
            ["LambdaConfigurations"],
    );
    let mut configuration = NotificationConfiguration::builder();
    for n in as_list(&declared) {
        let rules = as_list(&n["Filter"]["S3Key"]["Rules"])
            .into_iter()
            .map(|r| {
                FilterRule::builder()
                    .name(FilterRuleName::from(
                        scalar(&r["Name"]).to_lowercase().as_str(),
                    ))
                    .value(scalar(&r["Value"]))
                    .build()
            })
            .collect();
        let queue = QueueConfiguration::builder()
            .queue_arn(&queue_arn)
            .events(Event::from(scalar(&n["Event"]).as_str()))
            .filter(
                NotificationConfigurationFilter::builder()
                    .key(S3KeyFilter::builder().set_filter_rules(Some(rules)).build())
                    .build(),
            )
            .build()
            .expect("a queue configuration");
        configuration = configuration.queue_configurations(queue);
    }
    moto.s3_client()
        .put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(configuration.build())
        .send()
        .await
        .unwrap_or_else(|e| panic!("cannot set the bucket's notification: {e:?}"));
}

/// The function the bucket notifies.
fn notified_function(template: &Value) -> String {
    let declared = &resource(template, "Bucket")["Properties"]["NotificationConfiguration"]
        ["LambdaConfigurations"];
    let first = as_list(declared)
        .into_iter()
        .next()
        .expect("the bucket notifies a function");
    get_att_of(&first["Function"])
        .expect("Function: !GetAtt <function>.Arn")
        .0
        .to_owned()
}

/// The input of the sweep's schedule: what EventBridge Scheduler sends.
fn schedule_input(template: &Value) -> Value {
    let events = resource(template, "SweepFunction")["Properties"]["Events"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let schedule = events
        .values()
        .find(|e| e["Type"] == "ScheduleV2")
        .expect("the sweep's schedule");
    match &schedule["Properties"]["Input"] {
        Value::String(input) => serde_json::from_str(input).expect("the schedule's Input is JSON"),
        _ => json!({}),
    }
}

/// Every function's `Allow` statements, evaluated.
fn policies(template: &Value, stack: &Stack<'_>) -> Policies {
    functions(template)
        .into_iter()
        .map(|(id, function)| {
            let (role, _) = get_att_of(&function["Properties"]["Role"]).expect("Role");
            let grants = as_list(&resource(template, role)["Properties"]["Policies"])
                .into_iter()
                .flat_map(|p| as_list(&p["PolicyDocument"]["Statement"]))
                .filter(|s| s["Effect"] == "Allow")
                .map(|s| Grant {
                    actions: as_list(&stack.eval(&s["Action"]))
                        .into_iter()
                        .map(scalar)
                        .collect(),
                    resources: as_list(&stack.eval(&s["Resource"]))
                        .into_iter()
                        .map(scalar)
                        .collect(),
                })
                .collect();
            (id.to_owned(), grants)
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn start_function(
    template: &Value,
    stack: &Stack<'_>,
    id: &str,
    function: &Value,
    binaries: &Path,
    proxy: &str,
    clock: &FakeClock,
    library: &Path,
    dir: &Path,
) -> Lambda {
    let name = stack.values[id].clone();
    let timeout = function_property(template, function, "Timeout")
        .as_u64()
        .expect("Timeout");
    let memory = scalar(function_property(template, function, "MemorySize"));
    let arn = stack.values[&format!("{id}.Arn")].clone();
    let api = Arc::new(RuntimeApi::start(arn, Duration::from_secs(timeout), clock.clone()).await);

    let mut environment: BTreeMap<String, String> = BTreeMap::new();
    for variables in [
        &template["Globals"]["Function"]["Environment"]["Variables"],
        &function["Properties"]["Environment"]["Variables"],
    ] {
        for (key, value) in variables.as_object().into_iter().flatten() {
            environment.insert(key.clone(), stack.string(value));
        }
    }
    let lambda_variables = [
        ("AWS_LAMBDA_RUNTIME_API", api.address.clone()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.clone()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}")),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "harness".into()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
        ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023".into()),
        ("AWS_REGION", REGION.into()),
        ("AWS_DEFAULT_REGION", REGION.into()),
        ("_HANDLER", "bootstrap".into()),
        ("LAMBDA_TASK_ROOT", "/var/task".into()),
        // The role's credentials: the access key names the function, so the
        // IAM proxy knows whose policy applies.
        ("AWS_ACCESS_KEY_ID", id.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "harness".into()),
        ("AWS_SESSION_TOKEN", "harness".into()),
        // Where the harness differs from AWS: every SDK call goes to the IAM
        // proxy in front of moto, and S3 is addressed by path (one host).
        ("AWS_ENDPOINT_URL", proxy.to_owned()),
        ("EXAMREG_S3_PATH_STYLE", "true".into()),
    ];
    for (key, value) in lambda_variables {
        environment.insert(key.into(), value);
    }
    for (key, value) in clock.environment(library) {
        environment.insert(key, value);
    }

    let binary = scalar(&function["Metadata"]["BuildProperties"]["Binary"]);
    let log = dir.join(format!("{id}.log"));
    let child = Command::new(binaries.join(&binary))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(&environment)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("a log file"))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
    Lambda { api, child, log }
}

/// One call of SQS's JSON protocol on moto (signed for the test region).
async fn sqs_call(
    http: &reqwest::Client,
    moto: &MotoServer,
    operation: &str,
    body: Value,
) -> Value {
    let answer = http
        .post(moto.endpoint_url())
        .header("x-amz-target", format!("AmazonSQS.{operation}"))
        .header("content-type", "application/x-amz-json-1.0")
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential=testing/20211120/{REGION}/sqs/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("SQS {operation}: {e}"));
    let status = answer.status();
    let text = answer.text().await.unwrap_or_default();
    assert!(status.is_success(), "SQS {operation}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}
