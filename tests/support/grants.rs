//! What each Lambda function may do in AWS: the one list of IAM actions
//! that `tests/template.rs` holds every role of `template.yaml` to, and that
//! the deployed-shape harness (`tests/deployed.rs`) holds the functions' real
//! SDK calls to: a call outside its function's list is refused there, and an
//! action in the list that the whole journey never needed fails it, unless it
//! is one of [`NOT_SDK_CALLS`].

#![allow(dead_code)]

// What each function may do: the store, mailer and document-store calls its
// code makes (functions/common/src/services/*), as IAM actions. Adding a call
// to a function means adding its action here AND to its role in template.yaml,
// on purpose; a role that grants more, or less, fails this test.
//
// The store port maps to DynamoDB as follows (adapters/dynamodb.rs):
// `get` GetItem, `get_many` BatchGetItem, `query` Query (on the table, or on
// an index's ARN), `transact` of one Put/Delete PutItem/DeleteItem, and of
// several TransactWriteItems, which IAM authorises per operation inside it:
// Put PutItem, Delete DeleteItem, Check ConditionCheckItem, Add (the
// office's counters, in every write of a dossier) UpdateItem (there is no
// `dynamodb:TransactWriteItems` IAM action). A queued email delivered at once
// (`mailqueue::deliver_now`) is claimed with a Put, its address's
// undeliverable mark read (BatchGetItem, `records::deliverability`: the
// sweep reads a page's marks at once) and dequeued with a Delete.

pub struct Expected {
    /// Logical id of the `AWS::Serverless::Function`.
    pub function: &'static str,
    /// The binary cargo-lambda builds for it, and the crate it lives in.
    pub binary: &'static str,
    pub code_uri: &'static str,
    /// Served by the HTTP API (so its timeout must stay under API Gateway's).
    pub http: bool,
    /// Every IAM action its role grants, besides writing its own logs.
    pub actions: &'static [&'static str],
    /// The table indexes it may query (`*` for any of this table's).
    pub indexes: &'static [&'static str],
    /// The S3 key prefixes its object actions are limited to.
    pub s3_prefixes: &'static [&'static str],
}

/// The one SES call (`adapters/ses.rs`): SendEmail, never SendRawEmail.
pub const SES: &str = "ses:SendEmail";

pub const EXPECTED: &[Expected] = &[
    Expected {
        function: "SignupFunction",
        binary: "signup",
        code_uri: "functions/signup",
        http: true,
        // accounts::signup: email guard and account (get), one transaction
        // (Puts; Delete of an unactivated account past 48 h), then
        // delete_candidate_data (Query of the partition, Deletes); the
        // resend rate limit (get, put); activation email.
        actions: &[
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:DeleteItem",
            "dynamodb:Query",
            SES,
        ],
        indexes: &[],
        s3_prefixes: &[],
    },
    Expected {
        function: "ActivationFunction",
        binary: "activation",
        code_uri: "functions/activation",
        http: true,
        // accounts::activate: account + tombstone (get_many), a conditional
        // Put; after a lost race, get_many again. No email.
        actions: &["dynamodb:BatchGetItem", "dynamodb:PutItem"],
        indexes: &[],
        s3_prefixes: &[],
    },
    Expected {
        function: "AuthFunction",
        binary: "auth",
        code_uri: "functions/auth",
        http: true,
        // login (the address's guard: get, Put or Delete; the session: Put
        // + Check of the account), logout and /me (sessions::authenticate:
        // get_many; Delete), password reset (get, Put, email) and its
        // confirmation (Query of the sessions, Put + Deletes).
        actions: &[
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:PutItem",
            "dynamodb:DeleteItem",
            "dynamodb:ConditionCheckItem",
            "dynamodb:Query",
            SES,
        ],
        indexes: &[],
        s3_prefixes: &[],
    },
    Expected {
        function: "InscriptionFunction",
        binary: "inscription",
        code_uri: "functions/inscription",
        http: true,
        // load_for_caller (get_many), save (a transaction of Puts, the
        // Deletes of a renamed candidate's search entries, the counters'
        // Update; a get after a conflict), the summary email.
        actions: &[
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:PutItem",
            "dynamodb:DeleteItem",
            "dynamodb:UpdateItem",
            SES,
        ],
        indexes: &[],
        s3_prefixes: &[],
    },
    Expected {
        function: "DocumentsFunction",
        binary: "documents",
        code_uri: "functions/documents",
        http: true,
        // confirmation_pdf and request_upload: load_for_caller (get_many),
        // the upload request (Put), a presigned PUT (signed with the role's
        // own s3:PutObject) under candidates/; delete_file: a transaction of
        // Puts and the counters' Update (the inscription read again, get,
        // after a lost race), the removed file deleted (DeleteObject). No
        // email.
        actions: &[
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "s3:PutObject",
            "s3:DeleteObject",
        ],
        indexes: &[],
        s3_prefixes: &["candidates/"],
    },
    Expected {
        function: "DocumentsCheckFunction",
        binary: "documents-check",
        code_uri: "functions/documents",
        http: false,
        // check_stored_object: upload + inscription (get_many), the bytes
        // (GetObject), a transaction of Puts, refused files deleted
        // (DeleteObject), the "complete" email delivered at once (Put,
        // the address's undeliverable mark read (BatchGetItem), send,
        // Delete).
        actions: &[
            "dynamodb:BatchGetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "s3:GetObject",
            "s3:DeleteObject",
            // So that a key deleted since its notification answers 404, not
            // 403 (S3 hides absence from who may not list).
            "s3:ListBucket",
            SES,
            // Lambda's delivery of a dropped invocation to the on-failure
            // queue, with the function's role (NOT_SDK_CALLS).
            "sqs:SendMessage",
        ],
        indexes: &[],
        s3_prefixes: &["candidates/"],
    },
    Expected {
        function: "SweepFunction",
        binary: "sweep",
        code_uri: "functions/sweep",
        http: false,
        // due_page and the mail queue (Query on gsi1), expired accounts (a
        // Check and Deletes in one transaction, Query of the partition, get),
        // reminders and cancellations (Puts, get), mailqueue::drain (Put,
        // send, Delete); the reconciliation of pending uploads and the
        // grace's end (Query of the partition, a HEAD per upload, authorised
        // by GetObject; a file found checked as documents-check checks it:
        // BatchGetItem, GetObject, DeleteObject of a refused one).
        actions: &[
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:ConditionCheckItem",
            "dynamodb:Query",
            "s3:GetObject",
            "s3:DeleteObject",
            "s3:ListBucket",
            SES,
        ],
        indexes: &["gsi1"],
        s3_prefixes: &["candidates/"],
    },
    Expected {
        function: "AdminFunction",
        binary: "admin",
        code_uri: "functions/admin",
        http: false,
        // list and export (Query on gsi2), get (email guard: get; account +
        // inscription: get_many; history: Query of the partition), changes
        // (a transaction of Puts, deliver_now: Put, send, Delete), the export
        // CSV (PutObject) and its link (presigned GetObject) under exports/;
        // piece_link's presigned GetObject under candidates/ (see
        // S3_ONE_ACTION_PREFIXES: reading only).
        actions: &[
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:Query",
            "s3:PutObject",
            "s3:GetObject",
            // recheck: a refused file deleted (S3_ONE_ACTION_PREFIXES), and
            // honest 404s for its HEADs (NOT_SDK_CALLS).
            "s3:DeleteObject",
            "s3:ListBucket",
            // purge: every stored version of a closed session's files and
            // exports (ListObjectVersions, DeleteObject with a VersionId).
            "s3:ListBucketVersions",
            "s3:DeleteObjectVersion",
            SES,
        ],
        indexes: &["gsi2"],
        s3_prefixes: &["exports/"],
    },
];

/// `(function, action, prefix)`: an S3 object action a function may do
/// under one more prefix than its `s3_prefixes`, and that action only. The
/// admin function reads candidates' files (piece_link signs a GET link to
/// one) but may not write or delete them.
pub const S3_ONE_ACTION_PREFIXES: &[(&str, &str, &str)] = &[
    ("AdminFunction", "s3:GetObject", "candidates/"),
    // recheck deletes what its check refuses, as documents-check does.
    ("AdminFunction", "s3:DeleteObject", "candidates/"),
    // purge erases a closed session's files, every version of them.
    ("AdminFunction", "s3:DeleteObjectVersion", "candidates/"),
];

/// `(function, queue)`: the SQS queue a function's asynchronous invocations
/// go to when they fail for good (its on-failure destination), the only
/// queue its role may send to.
pub const ON_FAILURE_QUEUES: &[(&str, &str)] =
    &[("DocumentsCheckFunction", "DocumentsCheckFailureQueue")];

/// Every function writes its own log group, and nothing else in CloudWatch Logs.
pub const LOG_ACTIONS: [&str; 2] = ["logs:CreateLogStream", "logs:PutLogEvents"];

/// `(function, action)` pairs granted for what AWS does with them rather
/// than for a call the function makes, each explained where the template
/// grants it: the harness does not expect to see them called.
pub const NOT_SDK_CALLS: &[(&str, &str)] = &[
    // S3 answers 404 rather than 403 for a missing key only to who may list
    // the bucket (template.yaml, DocumentsCheckRole, HonestNotFound).
    ("DocumentsCheckFunction", "s3:ListBucket"),
    // The same for the HEADs of the sweep's reconciliation and of recheck.
    ("SweepFunction", "s3:ListBucket"),
    ("AdminFunction", "s3:ListBucket"),
    // Lambda, not the function, sends a dropped invocation to the
    // on-failure queue (template.yaml, DocumentsCheckRole, OnFailure).
    ("DocumentsCheckFunction", "sqs:SendMessage"),
];

/// `(function, action)` pairs the harness's journey cannot reach, each with
/// why the grant stays and where the path is tested: the harness does not
/// expect to see them called (every other grant must be).
pub const UNREACHED_BY_THE_JOURNEY: &[(&str, &str)] = &[
    // purge runs on a closed session, a year after its results; the
    // journey's session is open. Tested on both backends by
    // functions/common/tests/office_lifecycle.rs.
    ("AdminFunction", "s3:ListBucketVersions"),
    ("AdminFunction", "s3:DeleteObjectVersion"),
    // delete_file updates the office's counters only when the removal
    // changes the dossier's status or its pieces awaiting review (the last
    // file of a piece); the journey removes a second page. Removing the last
    // file is tested in the AWS shape, IAM enforced, by tests/office_files.rs
    // (in_the_aws_shape_with_iam_enforced).
    ("DocumentsFunction", "dynamodb:UpdateItem"),
    // sweep::delete_expired_account deletes a pending account's other items
    // in transactions that check the account is still the pending one read
    // (ConditionCheck). No request can give a pending account other items
    // today, so the path only runs on data written otherwise; it is tested
    // on moto by functions/common/tests/sweep_aws.rs
    // (unactivated_accounts_are_deleted_at_48_hours_to_the_second).
    ("SweepFunction", "dynamodb:ConditionCheckItem"),
    // documents::delete_file reads the inscription again (GetItem) only when
    // its write lost a race with another write of the same dossier: tested
    // on both backends by functions/common/tests/office_files.rs.
    ("DocumentsFunction", "dynamodb:GetItem"),
    // documents-check deletes a refused file (or one without a live upload
    // request); the journey's files are all good, and a replaced file is no
    // longer deleted (files accumulate): tested on moto by
    // functions/common/tests/documents_aws.rs (HTML declared as a PDF,
    // refused and deleted).
    ("DocumentsCheckFunction", "s3:DeleteObject"),
    // A save that changes a name deletes the office's search entries of the
    // old one (records::search); the journey never renames a candidate. It
    // is tested on both backends by functions/common/tests/office_numbers.rs
    // (search_finds_by_name_prefix_birth_date_and_number).
    ("InscriptionFunction", "dynamodb:DeleteItem"),
    // The sweep's reconciliation of uploads whose check never came (a HEAD,
    // then the check of a file found: GetObject, DeleteObject of a refused
    // one): every check of the journey comes, so nothing is left to
    // reconcile. Tested on both backends by
    // functions/common/tests/office_recheck.rs
    // (a_dropped_check_is_recovered_by_the_sweeps_reconciliation,
    // past_the_grace_the_sweep_looks_at_the_bucket_itself). (BatchGetItem,
    // which it also uses, the journey calls: the mail queue reads the
    // undeliverable marks of the mails it sends.)
    ("SweepFunction", "s3:GetObject"),
    ("SweepFunction", "s3:DeleteObject"),
    // recheck deletes a file its check refuses; the journey sends no
    // recheck. Tested on both backends by
    // functions/common/tests/office_recheck.rs
    // (recheck_checks_what_was_stored_for_one_candidate).
    ("AdminFunction", "s3:DeleteObject"),
];

/// `(function, action)` pairs allowed on `Resource: "*"` because AWS offers no
/// narrower resource for that action. Empty today: every action used has a
/// resource-level ARN. (X-Ray's `xray:PutTraceSegments` would go here if
/// tracing were turned on.)
pub const RESOURCE_STAR_ALLOWED: &[(&str, &str)] = &[];
