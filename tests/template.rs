//! Checks `template.yaml` from the template itself:
//!
//! 1. route parity: the HTTP API's routes are exactly `ROUTES`, each on its
//!    function;
//! 2. least privilege: every function's role grants exactly the actions that
//!    function uses (listed below), on this table (and only the index it
//!    queries), on its S3 prefix, on the sender's SES identity and on its own
//!    log group; no wildcard action, no `Resource: "*"`, never a Scan;
//! 3. the data is safe: the bucket is private, encrypted and versioned, the
//!    table has point-in-time recovery, TTL and `Retain`;
//! 4. every function is an arm64 `provided.al2023` cargo-lambda build with JSON
//!    logs in its own log group with a retention, and an Errors alarm.
//!
//! CloudFormation's short tags (`!Sub`, `!GetAtt`, ...) are read as tagged
//! YAML values and turned into their long forms (`Fn::Sub`, ...) first.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use examreg_common::http::routes::{DEFAULT_ROUTE, ROUTES};
use serde_json::Value;
use support::grants::{
    EXPECTED, LOG_ACTIONS, ON_FAILURE_QUEUES, RESOURCE_STAR_ALLOWED, S3_ONE_ACTION_PREFIXES,
};
use support::template::{
    as_list, function_property, functions, get_att_of, http_routes, ref_of, render, resource,
    resources, template,
};

// ---------------------------------------------------------------------------
// 1. Route parity.

#[test]
fn http_api_routes_are_exactly_the_route_table() {
    let t = template();
    for (id, function) in functions(&t) {
        for (name, event) in function["Properties"]["Events"]
            .as_object()
            .into_iter()
            .flatten()
        {
            if event["Type"] == "HttpApi" {
                assert_eq!(
                    ref_of(&event["Properties"]["ApiId"]),
                    Some("HttpApi"),
                    "{id}.{name}: every route is on the one HttpApi"
                );
                // The functions deserialise the payload 2.0 only (lambda_http's
                // `apigw_http` feature, Cargo.toml): SAM's default for an HttpApi.
                let version = &event["Properties"]["PayloadFormatVersion"];
                assert!(
                    version.is_null() || version == "2.0",
                    "{id}.{name}: the payload format must be 2.0, not {version}"
                );
            }
        }
    }
    let mut in_template: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut default_route = Vec::new();
    for route in http_routes(&t) {
        if route.path == "$default" {
            default_route.push(route.function);
            continue;
        }
        let key = (route.method.clone(), route.path.clone());
        if let Some(other) = in_template.insert(key, route.function.clone()) {
            panic!(
                "{} {} is on both {other} and {}",
                route.method, route.path, route.function
            );
        }
    }
    assert_eq!(
        default_route,
        [DEFAULT_ROUTE.logical_id()],
        "one $default route, on the function routes::DEFAULT_ROUTE names"
    );

    let mut in_code: BTreeMap<(String, String), String> = BTreeMap::new();
    for route in ROUTES {
        let key = (route.method.to_owned(), route.path.to_owned());
        assert!(
            in_code
                .insert(key, route.function.logical_id().to_owned())
                .is_none(),
            "{} {} twice in ROUTES",
            route.method,
            route.path
        );
    }

    let template_only: Vec<_> = in_template
        .keys()
        .filter(|k| !in_code.contains_key(*k))
        .collect();
    let code_only: Vec<_> = in_code
        .keys()
        .filter(|k| !in_template.contains_key(*k))
        .collect();
    assert!(
        template_only.is_empty() && code_only.is_empty(),
        "routes in template.yaml only: {template_only:?}; in ROUTES only: {code_only:?}"
    );
    for (route, function) in &in_code {
        assert_eq!(
            &in_template[route], function,
            "{} {} must be served by {function}",
            route.0, route.1
        );
    }
}

// ---------------------------------------------------------------------------
// 2. Least privilege.

struct Arns {
    tables: Vec<String>,
    bucket: String,
    ses: BTreeSet<String>,
}

fn arns(t: &Value) -> Arns {
    let table = resource(t, "Table");
    assert_eq!(table["Type"], "AWS::DynamoDB::Table");
    let bucket = resource(t, "Bucket");
    let bucket_names = render(&bucket["Properties"]["BucketName"]);
    assert_eq!(
        bucket_names.len(),
        1,
        "the bucket has one deterministic name built with !Sub"
    );
    Arns {
        tables: vec![
            "${Table.Arn}".to_owned(),
            // After a point-in-time restore (docs/deploy.md).
            "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${RestoredTableName}"
                .to_owned(),
        ],
        bucket: bucket_names[0].clone(),
        ses: [
            "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${SenderEmail}",
            "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${SenderEmail}.split(@)[1]",
            // SendEmail names the configuration set (its bounces and complaints).
            "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/${MailConfigurationSet}",
        ]
        .map(str::to_owned)
        .into(),
    }
}

/// The role of a function: its own `AWS::IAM::Role`, no SAM `Policies`.
fn role_of<'a>(t: &'a Value, id: &str, function: &'a Value) -> (&'a str, &'a Value) {
    let props = &function["Properties"];
    assert!(
        props.get("Policies").is_none(),
        "{id}: its role is written out in template.yaml, not made by SAM from Policies"
    );
    let (role_id, attribute) = get_att_of(&props["Role"])
        .unwrap_or_else(|| panic!("{id}: Role must be !GetAtt <its role>.Arn"));
    assert_eq!(attribute, "Arn");
    let role = resource(t, role_id);
    assert_eq!(role["Type"], "AWS::IAM::Role", "{id}: {role_id}");
    (role_id, role)
}

fn statements(role: &Value) -> Vec<&Value> {
    as_list(&role["Properties"]["Policies"])
        .into_iter()
        .flat_map(|p| as_list(&p["PolicyDocument"]["Statement"]))
        .collect()
}

#[test]
fn every_function_is_in_the_expectations_and_has_its_own_role() {
    let t = template();
    let in_template: BTreeSet<&str> = functions(&t).keys().copied().collect();
    let expected: BTreeSet<&str> = EXPECTED.iter().map(|e| e.function).collect();
    assert_eq!(
        in_template, expected,
        "a function in template.yaml needs its expected permissions in tests/template.rs"
    );

    let mut roles = BTreeSet::new();
    for (id, function) in functions(&t) {
        let (role_id, role) = role_of(&t, id, function);
        assert!(
            roles.insert(role_id),
            "{role_id} is shared: one role per function"
        );
        let props = &role["Properties"];
        assert!(
            props.get("ManagedPolicyArns").is_none(),
            "{role_id}: no managed policy (AWSLambdaBasicExecutionRole grants logs on *)"
        );
        let principal = &props["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"];
        assert_eq!(principal, "lambda.amazonaws.com", "{role_id}");
    }
    // No policy attached to a role from elsewhere.
    for (id, r) in resources(&t) {
        let ty = r["Type"].as_str().unwrap_or_default();
        if ty == "AWS::IAM::Policy" || ty == "AWS::IAM::ManagedPolicy" {
            for attached in as_list(&r["Properties"]["Roles"]) {
                let name = ref_of(attached).unwrap_or_default();
                assert!(!roles.contains(name), "{id} attaches more rights to {name}");
            }
        }
    }
}

#[test]
fn every_role_grants_only_what_its_function_uses() {
    let t = template();
    let arns = arns(&t);
    let mut failures = Vec::new();

    for expected in EXPECTED {
        let id = expected.function;
        let function = resource(&t, id);
        let (role_id, role) = role_of(&t, id, function);
        let log_group = ref_of(&function["Properties"]["LoggingConfig"]["LogGroup"])
            .unwrap_or_else(|| panic!("{id}: LoggingConfig.LogGroup must be !Ref its log group"));
        let mut fail = |message: String| failures.push(format!("{id} ({role_id}): {message}"));
        let mut granted = BTreeSet::new();

        for statement in statements(role) {
            for forbidden in ["NotAction", "NotResource", "NotPrincipal"] {
                if statement.get(forbidden).is_some() {
                    fail(format!("{forbidden} is not allowed: {statement}"));
                }
            }
            if statement["Effect"] != "Allow" {
                continue; // A Deny only takes rights away.
            }
            let actions: Vec<&str> = as_list(&statement["Action"])
                .into_iter()
                .map(|a| a.as_str().expect("an action is a string"))
                .collect();
            let resources: Vec<String> = as_list(&statement["Resource"])
                .into_iter()
                .flat_map(render)
                .collect();
            if resources.is_empty() {
                fail(format!("a statement without Resource: {statement}"));
            }

            for &action in &actions {
                granted.insert(action.to_owned());
                if action.contains('*') || action.contains('?') {
                    fail(format!("wildcard action {action}"));
                }
                if action.eq_ignore_ascii_case("dynamodb:Scan") {
                    fail("dynamodb:Scan: sweeps and listings Query an index".into());
                }
                let service = action.split(':').next().unwrap_or_default();
                for resource in &resources {
                    if resource == "*" {
                        if !RESOURCE_STAR_ALLOWED.contains(&(id, action)) {
                            fail(format!("{action} on Resource \"*\""));
                        }
                        continue;
                    }
                    let ok = match service {
                        "dynamodb" => {
                            let on_table = arns.tables.contains(resource);
                            let on_index = arns.tables.iter().any(|table| {
                                resource
                                    .strip_prefix(table.as_str())
                                    .and_then(|rest| rest.strip_prefix("/index/"))
                                    .is_some_and(|index| expected.indexes.contains(&index))
                            });
                            on_table || (on_index && action == "dynamodb:Query")
                        }
                        // Object actions on the function's prefixes; the one
                        // bucket action, ListBucket, on the bucket itself.
                        "s3" if ["s3:ListBucket", "s3:ListBucketVersions"].contains(&action) => {
                            *resource == format!("arn:${{AWS::Partition}}:s3:::{}", arns.bucket)
                        }
                        "s3" => expected
                            .s3_prefixes
                            .iter()
                            .copied()
                            .chain(
                                S3_ONE_ACTION_PREFIXES
                                    .iter()
                                    .filter(|(f, a, _)| *f == id && *a == action)
                                    .map(|(_, _, prefix)| *prefix),
                            )
                            .any(|prefix| {
                                *resource
                                    == format!(
                                        "arn:${{AWS::Partition}}:s3:::{}/{prefix}*",
                                        arns.bucket
                                    )
                            }),
                        "ses" => arns.ses.contains(resource),
                        // Only its own on-failure queue, only to send to it.
                        "sqs" => {
                            action == "sqs:SendMessage"
                                && ON_FAILURE_QUEUES
                                    .iter()
                                    .any(|(f, q)| *f == id && *resource == format!("${{{q}.Arn}}"))
                        }
                        "logs" => {
                            LOG_ACTIONS.contains(&action)
                                && *resource == format!("${{{log_group}.Arn}}")
                        }
                        _ => false,
                    };
                    if !ok {
                        fail(format!("{action} on {resource} is broader than it needs"));
                    }
                }
            }
        }

        let wanted: BTreeSet<String> = expected
            .actions
            .iter()
            .chain(LOG_ACTIONS.iter())
            .map(|a| (*a).to_owned())
            .collect();
        let extra: Vec<_> = granted.difference(&wanted).collect();
        let missing: Vec<_> = wanted.difference(&granted).collect();
        if !extra.is_empty() {
            fail(format!("grants actions it does not use: {extra:?}"));
        }
        if !missing.is_empty() {
            fail(format!("lacks actions it uses: {missing:?}"));
        }
        // The index is only reachable by the functions that query one.
        if expected.indexes.is_empty() {
            let any_index = statements(role)
                .into_iter()
                .flat_map(|s| as_list(&s["Resource"]).into_iter().flat_map(render))
                .any(|r| r.contains("/index/"));
            if any_index {
                fail("reaches an index it does not query".into());
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------
// 3. The data.

#[test]
fn the_bucket_is_private_encrypted_versioned_and_notifies_the_check() {
    let t = template();
    let bucket = resource(&t, "Bucket");
    assert_eq!(bucket["Type"], "AWS::S3::Bucket");
    assert_eq!(bucket["DeletionPolicy"], "Retain");
    let p = &bucket["Properties"];

    let block = &p["PublicAccessBlockConfiguration"];
    for setting in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(
            block[setting], true,
            "PublicAccessBlockConfiguration.{setting}"
        );
    }
    assert_eq!(
        p["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
        "BucketOwnerEnforced"
    );
    let sse = &p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        ["ServerSideEncryptionByDefault"]["SSEAlgorithm"];
    assert!(
        ["AES256", "aws:kms", "aws:kms:dsse"].contains(&sse.as_str().unwrap_or_default()),
        "the bucket is encrypted: {sse}"
    );
    assert_eq!(p["VersioningConfiguration"]["Status"], "Enabled");

    let rules = as_list(&p["LifecycleConfiguration"]["Rules"]);
    assert!(rules
        .iter()
        .any(|r| r.get("AbortIncompleteMultipartUpload").is_some()));
    assert!(rules
        .iter()
        .any(|r| r.get("NoncurrentVersionExpiration").is_some()));

    let cors = as_list(&p["CorsConfiguration"]["CorsRules"]);
    assert_eq!(cors.len(), 1, "one CORS rule");
    assert_eq!(cors[0]["AllowedMethods"], serde_json::json!(["PUT"]));
    let origins = as_list(&cors[0]["AllowedOrigins"]);
    assert_eq!(origins.len(), 1);
    assert_eq!(ref_of(origins[0]), Some("PortalOrigin"));

    let notifications = as_list(&p["NotificationConfiguration"]["LambdaConfigurations"]);
    assert_eq!(notifications.len(), 1);
    let n = notifications[0];
    assert_eq!(n["Event"], "s3:ObjectCreated:*");
    assert_eq!(
        get_att_of(&n["Function"]),
        Some(("DocumentsCheckFunction", "Arn"))
    );
    let filter = &n["Filter"]["S3Key"]["Rules"][0];
    assert_eq!(filter["Name"], "prefix");
    assert_eq!(filter["Value"], "candidates/");
}

#[test]
fn the_table_has_pitr_ttl_encryption_its_indexes_and_is_retained() {
    let t = template();
    let table = resource(&t, "Table");
    assert_eq!(table["DeletionPolicy"], "Retain");
    assert_eq!(table["UpdateReplacePolicy"], "Retain");
    let p = &table["Properties"];
    assert_eq!(p["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(
        p["TimeToLiveSpecification"]["AttributeName"],
        "expires_at_epoch"
    );
    assert_eq!(p["TimeToLiveSpecification"]["Enabled"], true);
    assert_eq!(p["SSESpecification"]["SSEEnabled"], true);

    let key = |schema: &Value| -> Vec<(String, String)> {
        as_list(schema)
            .into_iter()
            .map(|k| {
                (
                    k["AttributeName"].as_str().unwrap().to_owned(),
                    k["KeyType"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let hash_range = |pk: &str, sk: &str| {
        vec![
            (pk.to_owned(), "HASH".to_owned()),
            (sk.to_owned(), "RANGE".to_owned()),
        ]
    };
    assert_eq!(key(&p["KeySchema"]), hash_range("pk", "sk"));
    let indexes: BTreeMap<&str, &Value> = as_list(&p["GlobalSecondaryIndexes"])
        .into_iter()
        .map(|i| (i["IndexName"].as_str().unwrap(), i))
        .collect();
    assert_eq!(
        indexes.keys().copied().collect::<Vec<_>>(),
        ["gsi1", "gsi2"]
    );
    for (name, index) in indexes {
        assert_eq!(
            key(&index["KeySchema"]),
            hash_range(&format!("{name}pk"), &format!("{name}sk"))
        );
        assert_eq!(index["Projection"]["ProjectionType"], "ALL");
    }
    for attribute in as_list(&p["AttributeDefinitions"]) {
        assert_eq!(attribute["AttributeType"], "S", "{attribute}");
    }
}

// ---------------------------------------------------------------------------
// 4. The functions.

#[test]
fn every_function_is_an_arm64_cargo_lambda_build_with_json_logs_and_an_alarm() {
    let t = template();
    let alarmed: BTreeSet<&str> = resources(&t)
        .values()
        .filter(|r| {
            r["Type"] == "AWS::CloudWatch::Alarm" && r["Properties"]["MetricName"] == "Errors"
        })
        .flat_map(|r| as_list(&r["Properties"]["Dimensions"]))
        .filter(|d| d["Name"] == "FunctionName")
        .filter_map(|d| ref_of(&d["Value"]))
        .collect();

    for expected in EXPECTED {
        let id = expected.function;
        let f = resource(&t, id);
        assert_eq!(
            function_property(&t, f, "Runtime"),
            "provided.al2023",
            "{id}"
        );
        assert_eq!(
            function_property(&t, f, "Architectures"),
            &serde_json::json!(["arm64"]),
            "{id}"
        );
        assert_eq!(f["Metadata"]["BuildMethod"], "rust-cargolambda", "{id}");
        assert_eq!(
            f["Metadata"]["BuildProperties"]["Binary"], expected.binary,
            "{id}"
        );
        assert_eq!(f["Properties"]["CodeUri"], expected.code_uri, "{id}");

        let logging = &f["Properties"]["LoggingConfig"];
        let format = match &logging["LogFormat"] {
            Value::Null => &t["Globals"]["Function"]["LoggingConfig"]["LogFormat"],
            format => format,
        };
        assert_eq!(format, "JSON", "{id}: JSON logs");
        let group_id = ref_of(&logging["LogGroup"]).expect("LoggingConfig.LogGroup");
        let group = resource(&t, group_id);
        assert_eq!(group["Type"], "AWS::Logs::LogGroup", "{id}");
        assert!(
            !group["Properties"]["RetentionInDays"].is_null(),
            "{group_id}: a retention"
        );

        let timeout = function_property(&t, f, "Timeout")
            .as_u64()
            .expect("Timeout");
        if expected.http {
            assert!(
                timeout < 30,
                "{id}: API Gateway gives up at 30 s, timeout {timeout}"
            );
        }
        assert!(alarmed.contains(id), "{id}: an alarm on its Errors");
    }

    let env = &t["Globals"]["Function"]["Environment"]["Variables"];
    for name in [
        "EXAMREG_TABLE",
        "EXAMREG_BUCKET",
        "EXAMREG_SENDER",
        "EXAMREG_PUBLIC_URL",
        "EXAMREG_SESSION",
        "EXAMREG_PORTAL_ORIGIN",
        "RUST_LOG",
    ] {
        assert!(!env[name].is_null(), "every function gets {name}");
    }
    let sweep = &resource(&t, "SweepFunction")["Properties"];
    assert!(!sweep["Environment"]["Variables"]["EXAMREG_MAIL_RATE"].is_null());
}

/// Every `EXAMREG_*` variable the template sets is one the functions read
/// (`examreg_common::config`), and the portal's origin they read is the one
/// CORS allows on the API and on the bucket.
#[test]
fn the_functions_environment_is_what_they_read() {
    let t = template();
    let mut environments = vec![&t["Globals"]["Function"]["Environment"]["Variables"]];
    for (_, function) in functions(&t) {
        environments.push(&function["Properties"]["Environment"]["Variables"]);
    }
    for variables in environments {
        for name in variables.as_object().into_iter().flatten().map(|(k, _)| k) {
            assert!(
                !name.starts_with("EXAMREG_")
                    || examreg_common::config::VARIABLES.contains(&name.as_str()),
                "{name} is set but read by no function"
            );
        }
    }
    let globals = &t["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(
        ref_of(&globals["EXAMREG_PORTAL_ORIGIN"]),
        Some("PortalOrigin")
    );
    let api_origins = &resource(&t, "HttpApi")["Properties"]["CorsConfiguration"]["AllowOrigins"];
    let bucket_rules = &resource(&t, "Bucket")["Properties"]["CorsConfiguration"]["CorsRules"];
    for origins in [api_origins, &bucket_rules[0]["AllowedOrigins"]] {
        let origins = origins.as_array().expect("a list of origins");
        assert_eq!(origins.len(), 1, "{origins:?}");
        assert_eq!(ref_of(&origins[0]), Some("PortalOrigin"));
    }
}

#[test]
fn the_sweep_runs_on_a_paris_schedule_with_retries_and_a_dead_letter_queue() {
    let t = template();
    let events = resource(&t, "SweepFunction")["Properties"]["Events"]
        .as_object()
        .expect("SweepFunction.Events");
    let schedules: Vec<&Value> = events
        .values()
        .filter(|e| e["Type"] == "ScheduleV2")
        .map(|e| &e["Properties"])
        .collect();
    assert_eq!(schedules.len(), 1);
    let s = schedules[0];
    assert_eq!(s["ScheduleExpressionTimezone"], "Europe/Paris");
    assert!(s["RetryPolicy"]["MaximumRetryAttempts"].as_u64().is_some());
    let (queue, _) = get_att_of(&s["DeadLetterConfig"]["Arn"]).expect("DeadLetterConfig.Arn");
    assert_eq!(resource(&t, queue)["Type"], "AWS::SQS::Queue");
    let dlq_alarmed = resources(&t).values().any(|r| {
        r["Type"] == "AWS::CloudWatch::Alarm"
            && r["Properties"]["Namespace"] == "AWS/SQS"
            && as_list(&r["Properties"]["Dimensions"])
                .iter()
                .any(|d| get_att_of(&d["Value"]).map(|(q, _)| q) == Some(queue))
    });
    assert!(dlq_alarmed, "an alarm on the dead-letter queue's depth");
}

#[test]
fn a_check_dropped_after_its_retries_goes_to_an_encrypted_alarmed_queue() {
    let t = template();
    for (function, queue) in ON_FAILURE_QUEUES {
        let config = &resource(&t, function)["Properties"]["EventInvokeConfig"];
        assert!(
            config["MaximumRetryAttempts"].as_u64().is_some(),
            "{function}"
        );
        let on_failure = &config["DestinationConfig"]["OnFailure"];
        assert_eq!(on_failure["Type"], "SQS", "{function}");
        assert_eq!(
            get_att_of(&on_failure["Destination"]),
            Some((*queue, "Arn")),
            "{function}: its on-failure destination"
        );
        let q = resource(&t, queue);
        assert_eq!(q["Type"], "AWS::SQS::Queue");
        assert!(
            q["Properties"]["SqsManagedSseEnabled"] == true
                || q["Properties"]["KmsMasterKeyId"].is_string(),
            "{queue} is encrypted"
        );
        assert_eq!(q["Properties"]["MessageRetentionPeriod"], 1_209_600);
        let alarmed = resources(&t).values().any(|r| {
            r["Type"] == "AWS::CloudWatch::Alarm"
                && r["Properties"]["Namespace"] == "AWS/SQS"
                && r["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
                && as_list(&r["Properties"]["Dimensions"])
                    .iter()
                    .any(|d| get_att_of(&d["Value"]).map(|(q, _)| q) == Some(*queue))
        });
        assert!(alarmed, "an alarm on {queue}'s depth");
    }
}

// ---------------------------------------------------------------------------
// 5. The back office: the staff's user pool and the Office API's authorizer.

/// Every HttpApi event: (function, method, path, its `Auth`).
fn http_events(t: &Value) -> Vec<(String, String, String, Value)> {
    let mut all = Vec::new();
    for (id, function) in functions(t) {
        for event in function["Properties"]["Events"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, e)| e)
            .filter(|e| e["Type"] == "HttpApi")
        {
            let p = &event["Properties"];
            all.push((
                id.to_owned(),
                p["Method"].as_str().unwrap_or("ANY").to_uppercase(),
                p["Path"].as_str().unwrap_or("$default").to_owned(),
                p["Auth"].clone(),
            ));
        }
    }
    all
}

#[test]
fn every_office_route_but_its_config_has_the_authorizer_and_no_candidate_route_has_it() {
    let t = template();
    let mut office_routes = 0;
    for (function, method, path, auth) in http_events(&t) {
        let needs_token = ROUTES
            .iter()
            .find(|r| r.method == method && r.path == path)
            .is_some_and(|r| r.needs_staff_token());
        if needs_token {
            office_routes += 1;
            assert_eq!(
                auth["Authorizer"], "OfficeAuthorizer",
                "{method} {path} ({function}) is behind the office's JWT authorizer"
            );
        } else {
            assert!(
                auth.is_null(),
                "{method} {path} ({function}) takes no staff token: {auth}"
            );
        }
    }
    assert!(office_routes >= 1);
    // Not the API's default: a candidate's route cannot inherit it.
    let api = &resource(&t, "HttpApi")["Properties"];
    assert!(api["Auth"]["DefaultAuthorizer"].is_null());
    let jwt = &api["Auth"]["Authorizers"]["OfficeAuthorizer"]["JwtConfiguration"];
    let issuer = render(&jwt["issuer"]);
    assert!(
        issuer
            .iter()
            .any(|i| i.contains("cognito-idp") && i.contains("OfficeUserPool")),
        "the issuer is the office's pool: {issuer:?}"
    );
    assert_eq!(
        ref_of(as_list(&jwt["audience"])[0]),
        Some("OfficeUserPoolClient")
    );
}

#[test]
fn the_staffs_user_pool_is_invitation_only_with_mfa_and_the_three_roles() {
    use examreg_common::domain::staff::StaffRole;
    let t = template();
    let pool = &resource(&t, "OfficeUserPool")["Properties"];
    assert_eq!(
        pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"],
        true
    );
    assert_eq!(pool["MfaConfiguration"], "ON");
    assert_eq!(as_list(&pool["EnabledMfas"])[0], "SOFTWARE_TOKEN_MFA");
    let policy = &pool["Policies"]["PasswordPolicy"];
    assert!(policy["MinimumLength"].as_u64().unwrap() >= 12, "ASVS L2");
    assert!(policy["TemporaryPasswordValidityDays"].as_u64().is_some());
    let groups: BTreeSet<String> = resources(&t)
        .values()
        .filter(|r| r["Type"] == "AWS::Cognito::UserPoolGroup")
        .map(|r| {
            assert_eq!(
                ref_of(&r["Properties"]["UserPoolId"]),
                Some("OfficeUserPool")
            );
            r["Properties"]["GroupName"].as_str().unwrap().to_owned()
        })
        .collect();
    let roles: BTreeSet<String> = StaffRole::ALL
        .iter()
        .map(|r| r.group().to_owned())
        .collect();
    assert_eq!(groups, roles);
    let client = &resource(&t, "OfficeUserPoolClient")["Properties"];
    assert_eq!(client["GenerateSecret"], false, "a public client (PKCE)");
    assert_eq!(
        as_list(&client["AllowedOAuthFlows"]),
        [&Value::from("code")]
    );
    let callbacks = render(as_list(&client["CallbackURLs"])[0]);
    assert!(
        callbacks.iter().all(|c| c.ends_with("/gestion/")),
        "{callbacks:?}"
    );
    // Federation only when its parameter is set.
    assert_eq!(
        resource(&t, "OfficeIdentityProvider")["Condition"],
        "HasOfficeFederation"
    );
}

// ---------------------------------------------------------------------------
// Observability and backups (issue #18).

/// The `Fn::Sub` string of `v` (`!Sub` with or without a variable map).
fn sub_string(v: &Value) -> &str {
    let sub = &v["Fn::Sub"];
    sub.as_str()
        .or_else(|| sub[0].as_str())
        .expect("a !Sub string")
}

#[test]
fn the_dashboard_shows_every_business_metric_and_the_platforms_limits() {
    let t = template();
    let globals = &t["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(
        sub_string(&globals["EXAMREG_METRICS_NAMESPACE"]),
        "examreg/${Stage}"
    );
    let dashboard = &resource(&t, "Dashboard")["Properties"];
    let body = sub_string(&dashboard["DashboardBody"]);
    // A metric the code publishes but nobody sees would be a drift: every
    // one is on the dashboard, in the stack's namespace.
    for metric in examreg_common::metrics::Metric::ALL {
        assert!(
            body.contains(&format!("\"{}\"", metric.name())),
            "{} is not on the dashboard",
            metric.name()
        );
    }
    assert_eq!(
        dashboard["DashboardBody"]["Fn::Sub"][1]["Namespace"]["Fn::Sub"],
        "examreg/${Stage}"
    );
    for platform in [
        "\"4xx\"",
        "\"5xx\"",
        "\"ApiThrottled\"",
        "\"Throttles\"",
        "\"ReadThrottleEvents\"",
        "\"WriteThrottleEvents\"",
        "\"Duration\"",
        "\"ApproximateNumberOfMessagesVisible\"",
    ] {
        assert!(
            body.contains(platform),
            "{platform} is not on the dashboard"
        );
    }
    // Every function's throttles and durations.
    for (id, _) in functions(&t) {
        assert!(
            body.matches(&format!("${{{id}}}")).count() >= 2,
            "{id}: its throttles and its duration"
        );
    }
    // The body is JSON once rendered (the dashboard API refuses anything else).
    let rendered = body
        .replace("${Namespace}", "examreg/prod")
        .replace("${AWS::Region}", "eu-west-3");
    let rendered = with_placeholders_filled(&rendered);
    serde_json::from_str::<Value>(&rendered).expect("the dashboard body is JSON");
}

/// `${Anything}` replaced by a plain word, so that the body parses.
fn with_placeholders_filled(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("a closing brace") + start;
        out.push('x');
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn alarm_on<'a>(t: &'a Value, id: &str) -> &'a Value {
    let alarm = resource(t, id);
    assert_eq!(alarm["Type"], "AWS::CloudWatch::Alarm", "{id}");
    assert_eq!(
        ref_of(&alarm["Properties"]["AlarmActions"][0]),
        Some("AlarmTopic"),
        "{id} tells the operators"
    );
    &alarm["Properties"]
}

#[test]
fn alarms_watch_429s_throttles_and_the_mail_backlog() {
    let t = template();
    // 429s: counted from the access log, alarmed.
    let filter = &resource(&t, "ApiThrottledMetricFilter")["Properties"];
    assert_eq!(ref_of(&filter["LogGroupName"]), Some("ApiAccessLogGroup"));
    assert_eq!(filter["FilterPattern"], "{ $.status = \"429\" }");
    let access_format = resource(&t, "HttpApi")["Properties"]["AccessLogSettings"]["Format"]
        .as_str()
        .unwrap();
    assert!(access_format.contains("\"status\":\"$context.status\""));
    let throttled = alarm_on(&t, "ApiThrottledAlarm");
    assert_eq!(
        throttled["MetricName"],
        filter["MetricTransformations"][0]["MetricName"]
    );
    // Lambda: every function's throttles summed.
    let lambda = alarm_on(&t, "LambdaThrottlesAlarm");
    let watched: BTreeSet<&str> = as_list(&lambda["Metrics"])
        .into_iter()
        .filter_map(|m| ref_of(&m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]))
        .collect();
    let all: BTreeSet<&str> = functions(&t).keys().copied().collect();
    assert_eq!(watched, all);
    // DynamoDB: reads and writes throttled on the table in use.
    let dynamodb = alarm_on(&t, "DynamoDbThrottlesAlarm");
    let names: Vec<&str> = as_list(&dynamodb["Metrics"])
        .into_iter()
        .filter_map(|m| m["MetricStat"]["Metric"]["MetricName"].as_str())
        .collect();
    assert_eq!(names, ["ReadThrottleEvents", "WriteThrottleEvents"]);
    // The mail backlog: the sweep's EMF metric, over an hour.
    let backlog = alarm_on(&t, "MailBacklogAlarm");
    assert_eq!(
        backlog["MetricName"],
        examreg_common::metrics::Metric::MailBacklogAge.name()
    );
    assert_eq!(backlog["Threshold"], 3600);
    // The queues of what failed, and the API's 5xx, stay alarmed.
    for id in [
        "SweepDeadLetterAlarm",
        "DocumentsCheckFailureAlarm",
        "Api5xxAlarm",
    ] {
        alarm_on(&t, id);
    }
}

#[test]
fn the_sweep_and_the_check_have_reserved_concurrency_that_may_be_waived() {
    let t = template();
    for (function, parameter, condition) in [
        (
            "SweepFunction",
            "SweepReservedConcurrency",
            "ReservesSweepConcurrency",
        ),
        (
            "DocumentsCheckFunction",
            "CheckReservedConcurrency",
            "ReservesCheckConcurrency",
        ),
    ] {
        let reserved =
            &resource(&t, function)["Properties"]["ReservedConcurrentExecutions"]["Fn::If"];
        assert_eq!(reserved[0], condition, "{function}");
        assert_eq!(ref_of(&reserved[1]), Some(parameter), "{function}");
        assert_eq!(ref_of(&reserved[2]), Some("AWS::NoValue"), "{function}");
        assert!(
            t["Parameters"][parameter]["Default"].as_u64().unwrap_or(0) >= 1,
            "{parameter}: reserved by default"
        );
    }
}

#[test]
fn backups_keep_the_table_and_the_bucket_beyond_pitr() {
    let t = template();
    let vault = resource(&t, "BackupVault");
    assert_eq!(vault["DeletionPolicy"], "Retain");
    let plan = &resource(&t, "BackupPlan")["Properties"]["BackupPlan"];
    let kept: Vec<u64> = as_list(&plan["BackupPlanRule"])
        .into_iter()
        .map(|rule| {
            assert_eq!(ref_of(&rule["TargetBackupVault"]), Some("BackupVault"));
            rule["Lifecycle"]["DeleteAfterDays"].as_u64().unwrap()
        })
        .collect();
    assert!(
        kept.iter().any(|&days| days > 35),
        "a copy outlives PITR's 35 days: {kept:?}"
    );
    let selection = &resource(&t, "BackupSelection")["Properties"]["BackupSelection"];
    let resources = as_list(&selection["Resources"]);
    assert_eq!(resources.len(), 2);
    assert_eq!(
        get_att_of(&resources[0]["Fn::If"][2]),
        Some(("Table", "Arn"))
    );
    assert_eq!(get_att_of(resources[1]), Some(("Bucket", "Arn")));
    // The bucket is versioned: AWS Backup for S3 requires it.
    assert_eq!(
        resource(&t, "Bucket")["Properties"]["VersioningConfiguration"]["Status"],
        "Enabled"
    );
    let role = &resource(&t, "BackupRole")["Properties"];
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "backup.amazonaws.com"
    );
}

// ---------------------------------------------------------------------------
// The data lifecycle (issue #18).

/// The bucket's lifecycle follows the retention schedule: no rule expires a
/// candidate's current file, and their noncurrent versions (removed or
/// refused files, kept as evidence until the purge) only after a backstop
/// longer than any retention; exports expire in 7 days, the schedule's
/// `exports_days`; no bucket-wide rule overrides them (S3 applies the
/// shortest of overlapping rules).
#[test]
fn the_buckets_lifecycle_keeps_candidates_files_until_the_purge() {
    let t = template();
    let rules = as_list(&resource(&t, "Bucket")["Properties"]["LifecycleConfiguration"]["Rules"]);
    let schedule = examreg_common::domain::calendar::SessionCalendar::embedded("2022")
        .unwrap()
        .retention
        .expect("the 2022 session file has its retention schedule");
    for rule in &rules {
        let prefix = rule.get("Prefix").and_then(Value::as_str);
        let expires = rule.get("ExpirationInDays").is_some()
            || rule.get("NoncurrentVersionExpiration").is_some();
        assert!(
            prefix.is_some() || !expires,
            "a bucket-wide rule would expire candidates' files: {rule}"
        );
        if prefix == Some("candidates/") {
            assert!(rule.get("ExpirationInDays").is_none(), "{rule}");
            let days = rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
                .as_u64()
                .unwrap();
            let retention_days = u64::from(schedule.dossiers_months) * 31 + 270;
            assert!(days >= retention_days, "{days} days: before the purge");
        }
        if prefix == Some("exports/") {
            if let Some(days) = rule.get("ExpirationInDays") {
                assert_eq!(days.as_u64(), Some(u64::from(schedule.exports_days)));
            }
        }
    }
    assert!(rules
        .iter()
        .any(|r| r.get("ExpirationInDays").is_some() && r["Prefix"] == "exports/"));
    let log_days = &t["Parameters"]["LogRetentionDays"]["Default"];
    assert_eq!(log_days.as_u64(), Some(u64::from(schedule.logs_days)));
}

// ---------------------------------------------------------------------------
// Bounces and complaints (issue #18).

#[test]
fn bounces_and_complaints_reach_the_sweep_and_the_reputation_is_alarmed() {
    let t = template();
    // Every function sends through the configuration set.
    let globals = &t["Globals"]["Function"]["Environment"]["Variables"];
    assert_eq!(
        ref_of(&globals["EXAMREG_SES_CONFIGURATION_SET"]),
        Some("MailConfigurationSet")
    );
    assert_eq!(
        resource(&t, "MailConfigurationSet")["Type"],
        "AWS::SES::ConfigurationSet"
    );

    // Its bounces and complaints, and nothing else, go to the topic.
    let destinations: Vec<&Value> = resources(&t)
        .values()
        .filter(|r| r["Type"] == "AWS::SES::ConfigurationSetEventDestination")
        .map(|r| &r["Properties"])
        .collect();
    assert_eq!(destinations.len(), 1);
    let destination = destinations[0];
    assert_eq!(
        ref_of(&destination["ConfigurationSetName"]),
        Some("MailConfigurationSet")
    );
    let event = &destination["EventDestination"];
    assert_eq!(event["Enabled"], true);
    let mut types: Vec<&str> = as_list(&event["MatchingEventTypes"])
        .into_iter()
        .filter_map(Value::as_str)
        .collect();
    types.sort_unstable();
    assert_eq!(types, ["bounce", "complaint"]);
    let topic = ref_of(&event["SnsDestination"]["TopicARN"]).expect("an SNS destination");
    assert_eq!(resource(&t, topic)["Type"], "AWS::SNS::Topic");

    // SES may publish to it, for this account's configuration set only.
    let policy = resources(&t)
        .values()
        .find(|r| {
            r["Type"] == "AWS::SNS::TopicPolicy"
                && as_list(&r["Properties"]["Topics"])
                    .iter()
                    .any(|v| ref_of(v) == Some(topic))
        })
        .expect("a policy on the mail events topic");
    let statements = as_list(&policy["Properties"]["PolicyDocument"]["Statement"]);
    assert_eq!(statements.len(), 1);
    let statement = statements[0];
    assert_eq!(statement["Principal"]["Service"], "ses.amazonaws.com");
    assert_eq!(statement["Action"], "sns:Publish");
    assert!(
        render(&statement["Condition"]["ArnLike"]["AWS:SourceArn"])[0]
            .ends_with(":configuration-set/${MailConfigurationSet}")
    );
    assert!(!statement["Condition"]["StringEquals"]["AWS:SourceAccount"].is_null());

    // The sweep function (it owns mail delivery) subscribes to it.
    let subscribed = resource(&t, "SweepFunction")["Properties"]["Events"]
        .as_object()
        .expect("SweepFunction.Events")
        .values()
        .any(|e| e["Type"] == "SNS" && ref_of(&e["Properties"]["Topic"]) == Some(topic));
    assert!(subscribed, "the sweep function receives the mail events");

    // The account's reputation, alarmed at SES's review thresholds.
    for (metric, threshold) in [
        ("Reputation.BounceRate", 0.05),
        ("Reputation.ComplaintRate", 0.001),
    ] {
        let alarm = resources(&t)
            .values()
            .find(|r| {
                r["Type"] == "AWS::CloudWatch::Alarm"
                    && r["Properties"]["Namespace"] == "AWS/SES"
                    && r["Properties"]["MetricName"] == metric
            })
            .unwrap_or_else(|| panic!("an alarm on {metric}"));
        let p = &alarm["Properties"];
        assert_eq!(p["Threshold"].as_f64(), Some(threshold), "{metric}");
        assert_eq!(p["ComparisonOperator"], "GreaterThanOrEqualToThreshold");
        assert_eq!(
            p["TreatMissingData"], "notBreaching",
            "{metric}: no mail, no alarm"
        );
        assert_eq!(ref_of(as_list(&p["AlarmActions"])[0]), Some("AlarmTopic"));
    }
}

// ---------------------------------------------------------------------------
// --- edge --- (issue #17: IAM, the bucket policy, CloudFront and its WAF)

/// Every statement of every IAM role in the template, with its role's id.
fn every_role_statement(t: &Value) -> Vec<(&str, &Value)> {
    resources(t)
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::IAM::Role")
        .flat_map(|(id, role)| statements(role).into_iter().map(move |s| (id.as_str(), s)))
        .collect()
}

fn actions_of(statement: &Value) -> Vec<&str> {
    as_list(&statement["Action"])
        .into_iter()
        .filter_map(Value::as_str)
        .collect()
}

#[test]
fn every_ses_grant_is_send_email_as_the_stacks_sender_only() {
    let t = template();
    let text = std::fs::read_to_string(support::template::template_path()).unwrap();
    assert!(
        !text.contains("SendRawEmail"),
        "adapters/ses.rs sends with SendEmail: no role may keep ses:SendRawEmail"
    );
    let mut mailing_roles = BTreeSet::new();
    for (role, statement) in every_role_statement(&t) {
        let actions = actions_of(statement);
        if !actions.iter().any(|a| a.starts_with("ses:")) {
            continue;
        }
        mailing_roles.insert(role.to_owned());
        assert_eq!(actions, ["ses:SendEmail"], "{role}: SendEmail alone");
        assert_eq!(
            ref_of(&statement["Condition"]["StringEquals"]["ses:FromAddress"]),
            Some("SenderEmail"),
            "{role}: only from the stack's sender (ses:FromAddress): {statement}"
        );
        assert_eq!(
            statement["Condition"].as_object().map(|c| c.len()),
            Some(1),
            "{role}: no other condition to loosen or confuse it"
        );
    }
    // Exactly the functions whose code sends mail (support/grants.rs).
    let expected: BTreeSet<String> = EXPECTED
        .iter()
        .filter(|e| e.actions.contains(&support::grants::SES))
        .map(|e| {
            role_of(&t, e.function, resource(&t, e.function))
                .0
                .to_owned()
        })
        .collect();
    assert_eq!(mailing_roles, expected);
    assert!(!expected.contains("ActivationRole") && !expected.contains("DocumentsRole"));
}

/// The roles whose statements grant an object action under `candidates/`.
fn roles_reaching_candidates_files(t: &Value) -> BTreeSet<String> {
    every_role_statement(t)
        .into_iter()
        .filter(|(_, s)| s["Effect"] == "Allow")
        .filter(|(_, s)| {
            as_list(&s["Resource"])
                .into_iter()
                .flat_map(render)
                .any(|r| r.ends_with("/candidates/*"))
        })
        .map(|(role, _)| role.to_owned())
        .collect()
}

#[test]
fn candidates_files_are_denied_to_every_principal_but_the_roles_that_need_them() {
    let t = template();
    let policy = resource(&t, "BucketPolicy");
    assert_eq!(ref_of(&policy["Properties"]["Bucket"]), Some("Bucket"));
    let deny: Vec<&Value> = as_list(&policy["Properties"]["PolicyDocument"]["Statement"])
        .into_iter()
        .filter(|s| {
            s["Effect"] == "Deny"
                && s.get("Condition")
                    .is_some_and(|c| c.get("ArnNotEquals").is_some())
        })
        .collect();
    assert_eq!(deny.len(), 1, "one Deny naming who may touch candidates/*");
    let deny = deny[0];
    assert_eq!(deny["Principal"], "*");
    assert_eq!(actions_of(deny), ["s3:*"], "every object action");
    let resources: Vec<String> = as_list(&deny["Resource"])
        .into_iter()
        .flat_map(render)
        .collect();
    assert_eq!(
        resources,
        ["arn:${AWS::Partition}:s3:::examreg-${Stage}-${AWS::AccountId}-${AWS::Region}/candidates/*"]
    );

    // Who needs them: every role granted an object action there (the four
    // functions), and AWS Backup's role, the bucket being in the selection.
    let mut needed = roles_reaching_candidates_files(&t);
    assert_eq!(
        needed,
        [
            "AdminRole",
            "DocumentsCheckRole",
            "DocumentsRole",
            "SweepRole"
        ]
        .map(str::to_owned)
        .into(),
    );
    let selection = &resource(&t, "BackupSelection")["Properties"]["BackupSelection"];
    assert!(as_list(&selection["Resources"])
        .into_iter()
        .any(|r| get_att_of(r) == Some(("Bucket", "Arn"))));
    needed.insert(
        get_att_of(&selection["IamRoleArn"])
            .expect("!GetAtt")
            .0
            .to_owned(),
    );

    let principals = &deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]["Fn::If"];
    assert_eq!(principals[0], "HasBucketBreakGlass");
    let roles_in = |branch: &Value| -> (BTreeSet<String>, Vec<String>) {
        let mut roles = BTreeSet::new();
        let mut refs = Vec::new();
        for arn in as_list(branch) {
            match (get_att_of(arn), ref_of(arn)) {
                (Some((role, "Arn")), _) => assert!(roles.insert(role.to_owned())),
                (_, Some(parameter)) => refs.push(parameter.to_owned()),
                _ => panic!("a role's ARN or a parameter: {arn}"),
            }
        }
        (roles, refs)
    };
    let (with_glass, glass) = roles_in(&principals[1]);
    let (without_glass, none) = roles_in(&principals[2]);
    assert_eq!(with_glass, needed, "with a break-glass role");
    assert_eq!(without_glass, needed, "without one");
    assert_eq!(glass, ["BucketBreakGlassRoleArn"]);
    assert!(none.is_empty());
    // The deploy role and CloudFormation never touch objects; the policy
    // itself stays editable (bucket-level actions are outside the Deny).
    assert!(!resources.iter().any(|r| !r.ends_with("/candidates/*")));
}

#[test]
fn the_bucket_keeps_list_bucket_where_a_missing_key_must_answer_404() {
    let t = template();
    for (role, statement) in every_role_statement(&t) {
        if actions_of(statement).contains(&"s3:ListBucket") {
            // Only beside a read of candidates' files (a HEAD that must tell
            // "gone" from "refused"), and never narrowed by a prefix
            // condition, which GET and HEAD would not carry.
            assert!(
                roles_reaching_candidates_files(&t).contains(role),
                "{role}: ListBucket without reading candidates' files"
            );
            assert!(statement.get("Condition").is_none(), "{role}: {statement}");
        }
    }
}

const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const ALL_VIEWER_EXCEPT_HOST_HEADER: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

#[test]
fn the_edge_distribution_caches_nothing_forwards_all_but_host_and_proves_itself() {
    let t = template();
    let d = resource(&t, "EdgeDistribution");
    assert_eq!(d["Type"], "AWS::CloudFront::Distribution");
    assert_eq!(d["Condition"], "HasEdge");
    assert_eq!(
        t["Conditions"]["HasEdge"],
        serde_json::json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "EdgeWebAclArn"}, ""]}]})
    );
    let config = &d["Properties"]["DistributionConfig"];
    assert_eq!(ref_of(&config["WebACLId"]), Some("EdgeWebAclArn"));
    let behavior = &config["DefaultCacheBehavior"];
    assert_eq!(behavior["CachePolicyId"], CACHING_DISABLED);
    assert_eq!(
        behavior["OriginRequestPolicyId"],
        ALL_VIEWER_EXCEPT_HOST_HEADER
    );
    assert_eq!(behavior["ViewerProtocolPolicy"], "redirect-to-https");
    let methods: BTreeSet<&str> = as_list(&behavior["AllowedMethods"])
        .into_iter()
        .filter_map(Value::as_str)
        .collect();
    for route in ROUTES {
        assert!(
            methods.contains(route.method),
            "{} {}",
            route.method,
            route.path
        );
    }
    assert!(
        config.get("CacheBehaviors").is_none(),
        "one behavior: nothing cached anywhere"
    );

    let origins = as_list(&config["Origins"]);
    assert_eq!(origins.len(), 1);
    let origin = origins[0];
    assert_eq!(origin["Id"], behavior["TargetOriginId"]);
    assert_eq!(
        render(&origin["DomainName"]),
        ["${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"]
    );
    assert_eq!(
        origin["CustomOriginConfig"]["OriginProtocolPolicy"],
        "https-only"
    );
    // The secret header, the one http/edge.rs checks, from the parameter
    // the functions read too.
    let headers = as_list(&origin["OriginCustomHeaders"]);
    assert_eq!(headers.len(), 1);
    assert!(headers[0]["HeaderName"]
        .as_str()
        .unwrap()
        .eq_ignore_ascii_case(examreg_common::http::edge::SECRET_HEADER));
    assert_eq!(ref_of(&headers[0]["HeaderValue"]), Some("EdgeOriginSecret"));
    let secret_env = &t["Globals"]["Function"]["Environment"]["Variables"]["EXAMREG_EDGE_SECRET"];
    assert_eq!(
        *secret_env,
        serde_json::json!({"Fn::If": ["HasEdge", {"Ref": "EdgeOriginSecret"}, ""]})
    );
    assert_eq!(t["Parameters"]["EdgeOriginSecret"]["NoEcho"], true);
    // A web ACL without the secret would leave the API's URL open.
    let rule = &t["Rules"]["EdgeNeedsItsSecret"];
    assert_eq!(rule["RuleCondition"], t["Conditions"]["HasEdge"]);
    assert_eq!(
        rule["Assertions"][0]["Assert"],
        serde_json::json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "EdgeOriginSecret"}, ""]}]})
    );
    // The web ACL must be CloudFront's, made in us-east-1.
    let pattern = t["Parameters"]["EdgeWebAclArn"]["AllowedPattern"]
        .as_str()
        .unwrap();
    assert!(pattern.contains(":wafv2:us-east-1:") && pattern.contains(":global/webacl/"));
}

/// The companion template of the edge's web ACL.
fn waf_template() -> Value {
    let root = support::template::template_path().parent().unwrap();
    support::template::load(&root.join("infra/waf-us-east-1.yaml"))
}

#[test]
fn the_waf_companion_limits_each_client_ip_and_tighter_on_auth_posts() {
    let w = waf_template();
    assert!(
        w.get("Transform").is_none(),
        "plain CloudFormation, deployed in us-east-1"
    );
    let acls: Vec<&Value> = resources(&w)
        .values()
        .filter(|r| r["Type"] == "AWS::WAFv2::WebACL")
        .collect();
    assert_eq!(acls.len(), 1);
    let acl = &acls[0]["Properties"];
    assert_eq!(acl["Scope"], "CLOUDFRONT");
    assert!(acl["DefaultAction"].get("Allow").is_some());
    assert_eq!(
        get_att_of(&w["Outputs"]["WebAclArn"]["Value"]).map(|(_, a)| a),
        Some("Arn")
    );

    let default_of = |parameter: &Value| -> u64 {
        let name = ref_of(parameter).expect("a limit is a parameter");
        w["Parameters"][name]["Default"].as_u64().expect("a number")
    };
    let rules = as_list(&acl["Rules"]);
    assert_eq!(rules.len(), 2);
    let mut by_name = BTreeMap::new();
    for rule in &rules {
        let rate = &rule["Statement"]["RateBasedStatement"];
        assert_eq!(
            rate["AggregateKeyType"], "IP",
            "{}: keyed on the client's IP",
            rule["Name"]
        );
        let block = &rule["Action"]["Block"]["CustomResponse"];
        assert_eq!(block["ResponseCode"], 429);
        let body_key = block["CustomResponseBodyKey"].as_str().unwrap();
        let body = &acl["CustomResponseBodies"][body_key];
        let problem: Value = serde_json::from_str(body["Content"].as_str().unwrap()).unwrap();
        assert_eq!(problem["code"], "too_many_requests");
        assert_eq!(problem["status"], 429);
        by_name.insert(
            rule["Name"].as_str().unwrap(),
            (*rule, default_of(&rate["Limit"])),
        );
    }
    let (all, all_limit) = by_name["all-per-ip"];
    let (auth, auth_limit) = by_name["auth-per-ip"];
    assert!(all["Statement"]["RateBasedStatement"]
        .get("ScopeDownStatement")
        .is_none());
    assert!(
        auth["Priority"].as_u64() < all["Priority"].as_u64(),
        "the tighter rule first"
    );
    assert!(auth_limit < all_limit / 5, "{auth_limit} vs {all_limit}");
    // Room for a class of 35 signing up from one school address.
    assert!(
        auth_limit >= 200 && all_limit >= 1500,
        "{auth_limit}, {all_limit}"
    );

    // The scope-down: POST under /auth/, which is every route that hashes a
    // password or sends an email.
    let scope = &auth["Statement"]["RateBasedStatement"]["ScopeDownStatement"]["AndStatement"]
        ["Statements"];
    let matches: Vec<(&Value, &Value, &Value)> = as_list(scope)
        .into_iter()
        .map(|s| {
            let m = &s["ByteMatchStatement"];
            (
                &m["FieldToMatch"],
                &m["PositionalConstraint"],
                &m["SearchString"],
            )
        })
        .collect();
    assert_eq!(
        matches,
        [
            (
                &serde_json::json!({"Method": {}}),
                &"EXACTLY".into(),
                &"POST".into()
            ),
            (
                &serde_json::json!({"UriPath": {}}),
                &"STARTS_WITH".into(),
                &"/auth/".into()
            ),
        ]
    );
    for path in [
        "/auth/signup",
        "/auth/resend-activation",
        "/auth/login",
        "/auth/login-link",
        "/auth/password-reset",
        "/auth/activate",
    ] {
        assert!(
            ROUTES.iter().any(|r| r.method == "POST" && r.path == path),
            "POST {path} is a route, counted by auth-per-ip"
        );
    }
}
