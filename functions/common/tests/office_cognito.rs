//! The Office API against Cognito's tokens, on moto's Cognito (issue #16):
//! a user pool with the three groups, staff users in them, real access
//! tokens from `AdminInitiateAuth` / `InitiateAuth`, verified with the pool's
//! JWKS the way the HTTP API's JWT authorizer does (RS256 signature, issuer,
//! expiry, client), then the admin function's handler invoked with the HTTP
//! API (payload 2.0) event that carries the verified claims, on both
//! backends for the application's data.
//!
//! moto has no hosted UI: the authorization code flow is declared in the
//! template and documented; here the tokens come from the password flows.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use examreg_common::app::{App, Config};
use examreg_common::bootstrap::admin_invocation;
use examreg_common::http::routes::Function;
use examreg_common::on_both_backends;
use examreg_common::records::keys;
use examreg_common::security::office_token::as_authorizer_claims;
use examreg_common::testkit::moto::{moto_server, REGION};
use examreg_common::testkit::{self, at, Backend, FixedClock, RecordingMailer};

const PASSWORD: &str = "Cachet-de-la-poste-2021";
const NOW: &str = "2021-10-20T08:00:00Z";

/// One call of the Cognito API (JSON 1.1) on moto.
async fn cognito(target: &str, body: Value) -> Value {
    let moto = moto_server().await;
    let response = reqwest::Client::new()
        .post(moto.endpoint_url())
        .header("content-type", "application/x-amz-json-1.1")
        .header(
            "x-amz-target",
            format!("AWSCognitoIdentityProviderService.{target}"),
        )
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential=testing/20211020/{REGION}/cognito-idp/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .body(body.to_string())
        .send()
        .await
        .expect("moto answers");
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{target}: {status} {answer}");
    answer
}

/// A pool like the template's: the three groups, a public client.
struct Pool {
    id: String,
    client_id: String,
}

impl Pool {
    async fn create() -> Pool {
        let pool = cognito(
            "CreateUserPool",
            json!({"PoolName": format!("office-{}", uuid::Uuid::new_v4().simple())}),
        )
        .await;
        let id = pool["UserPool"]["Id"].as_str().unwrap().to_owned();
        let client = cognito(
            "CreateUserPoolClient",
            json!({
                "UserPoolId": id, "ClientName": "gestion", "GenerateSecret": false,
                "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
            }),
        )
        .await;
        let client_id = client["UserPoolClient"]["ClientId"]
            .as_str()
            .unwrap()
            .to_owned();
        for group in ["lecteur", "gestionnaire", "responsable"] {
            cognito("CreateGroup", json!({"UserPoolId": id, "GroupName": group})).await;
        }
        Pool { id, client_id }
    }

    /// A staff member invited as the deploy guide says (the address as
    /// user name), their password set, in `groups`.
    async fn invite(&self, email: &str, groups: &[&str]) {
        cognito(
            "AdminCreateUser",
            json!({
                "UserPoolId": self.id, "Username": email, "MessageAction": "SUPPRESS",
                "TemporaryPassword": "Provisoire-2021-xyz",
                "UserAttributes": [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
            }),
        )
        .await;
        cognito(
            "AdminSetUserPassword",
            json!({"UserPoolId": self.id, "Username": email, "Password": PASSWORD, "Permanent": true}),
        )
        .await;
        for group in groups {
            cognito(
                "AdminAddUserToGroup",
                json!({"UserPoolId": self.id, "Username": email, "GroupName": group}),
            )
            .await;
        }
    }

    /// An access token of `email`, by the admin flow or the user's.
    async fn access_token(&self, email: &str, admin_flow: bool) -> String {
        let answer = if admin_flow {
            cognito(
                "AdminInitiateAuth",
                json!({
                    "UserPoolId": self.id, "ClientId": self.client_id,
                    "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                    "AuthParameters": {"USERNAME": email, "PASSWORD": PASSWORD}
                }),
            )
            .await
        } else {
            cognito(
                "InitiateAuth",
                json!({
                    "ClientId": self.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                    "AuthParameters": {"USERNAME": email, "PASSWORD": PASSWORD}
                }),
            )
            .await
        };
        answer["AuthenticationResult"]["AccessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {answer}"))
            .to_owned()
    }

    /// What the JWT authorizer checks (issuer = the pool, audience = the
    /// client), verified with the pool's JWKS: the claims, or `None`.
    async fn verify(&self, token: &str) -> Option<Map<String, Value>> {
        let moto = moto_server().await;
        let jwks: Value = reqwest::get(format!(
            "{}/{}/.well-known/jwks.json",
            moto.endpoint_url(),
            self.id
        ))
        .await
        .ok()?
        .json()
        .await
        .ok()?;
        // The key named by the token's header, among the pool's.
        let kid = jsonwebtoken::decode_header(token).ok()?.kid?;
        let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks).ok()?;
        let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid)?).ok()?;
        // Signature (RS256 only) here; issuer, audience and expiry below, as
        // the authorizer reads them.
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .ok()?
            .claims;
        let issuer_ok = claims["iss"]
            .as_str()
            .is_some_and(|iss| iss.ends_with(&format!("/{}", self.id)));
        let audience_ok = claims.get("client_id") == Some(&json!(self.client_id))
            || claims.get("aud") == Some(&json!(self.client_id));
        let unexpired = claims["exp"]
            .as_i64()
            .is_some_and(|exp| exp > chrono::Utc::now().timestamp());
        (issuer_ok && audience_ok && unexpired).then_some(claims)
    }
}

/// The HTTP API's payload 2.0 event for `POST /office/actions` with `body`,
/// its JWT authorizer having verified `claims` (none: a request the
/// authorizer did not vouch for).
fn http_event(claims: Option<&Map<String, Value>>, body: &Value) -> Value {
    let mut context = json!({
        "accountId": "123456789012", "apiId": "api", "domainName": "api.exemple.fr",
        "domainPrefix": "api", "requestId": uuid::Uuid::new_v4().to_string(),
        "routeKey": "POST /office/actions", "stage": "$default",
        "time": "20/Oct/2021:08:00:00 +0000", "timeEpoch": 1634716800000_i64,
        "http": {"method": "POST", "path": "/office/actions", "protocol": "HTTP/1.1",
                 "sourceIp": "127.0.0.1", "userAgent": "office-test"}
    });
    if let Some(claims) = claims {
        let passed: HashMap<String, String> = as_authorizer_claims(claims);
        context["authorizer"] = json!({"jwt": {"claims": passed, "scopes": null}});
    }
    json!({
        "version": "2.0", "routeKey": "POST /office/actions",
        "rawPath": "/office/actions", "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "api.exemple.fr"},
        "requestContext": context,
        "body": body.to_string(), "isBase64Encoded": false
    })
}

async fn application(backend: Backend) -> (Arc<App>, Option<testkit::ScratchDir>) {
    let adapters = backend.adapters().await;
    let app = testkit::app(
        Config::default(),
        adapters.store,
        Arc::new(RecordingMailer::new(adapters.mailer)),
        adapters.documents,
        Arc::new(FixedClock::new(at(NOW))),
    );
    (Arc::new(app), adapters.scratch)
}

/// Invokes the admin function's handler: its status and its body.
async fn invoke(app: &Arc<App>, event: Value) -> (u16, Value) {
    let router = examreg_common::http::router(app.clone(), &[Function::Admin]);
    let answer = admin_invocation(
        app.clone(),
        router,
        lambda_http::LambdaEvent::new(event, lambda_http::Context::default()),
    )
    .await
    .expect("the handler answers");
    let status = answer["statusCode"].as_u64().expect("an HTTP answer") as u16;
    let body = answer["body"].as_str().unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

async fn cognito_tokens_reach_the_office_api_with_their_roles(backend: Backend) {
    let (app, _scratch) = application(backend).await;
    let pool = Pool::create().await;
    let domain = testkit::unique_domain("office");
    let lecteur = format!("lea@{domain}");
    let gestionnaire = format!("gaston@{domain}");
    let responsable = format!("rose@{domain}");
    let nobody = format!("nora@{domain}");
    pool.invite(&lecteur, &["lecteur"]).await;
    pool.invite(&gestionnaire, &["gestionnaire", "lecteur"])
        .await;
    pool.invite(&responsable, &["responsable"]).await;
    pool.invite(&nobody, &[]).await;

    // Real tokens, verified as the authorizer does.
    let mut claims = HashMap::new();
    for (email, admin_flow) in [
        (&lecteur, true),
        (&gestionnaire, false),
        (&responsable, true),
        (&nobody, false),
    ] {
        let token = pool.access_token(email, admin_flow).await;
        let verified = pool.verify(&token).await.expect("a valid token");
        assert_eq!(verified["token_use"], "access");
        // A token altered is not.
        let mut forged: Vec<char> = token.chars().collect();
        let last = forged.len() - 1;
        forged[last] = if forged[last] == 'A' { 'B' } else { 'A' };
        let forged: String = forged.into_iter().collect();
        assert!(pool.verify(&forged).await.is_none());
        claims.insert(email.clone(), verified);
    }

    let list = json!({"action": "list"});
    let until = "2021-11-20T23:59:59+01:00";
    let bulk = json!({"action": "extend_deadline", "diploma": "BAC_PRO", "until": until});

    // No claims: the function answers 401 itself too.
    let (status, body) = invoke(&app, http_event(None, &list)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    // In no group: 403.
    let (status, body) = invoke(&app, http_event(Some(&claims[&nobody]), &list)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("forbidden_role"))
    );
    // A lecteur reads, and cannot export.
    let (status, body) = invoke(&app, http_event(Some(&claims[&lecteur]), &list)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["items"].is_array());
    let (status, body) = invoke(
        &app,
        http_event(Some(&claims[&lecteur]), &json!({"action": "export"})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("forbidden_role"))
    );
    // The gestionnaire (also in lecteur: the highest counts) cannot extend
    // in bulk; the responsable can, recorded by their address.
    let (status, body) = invoke(&app, http_event(Some(&claims[&gestionnaire]), &bulk)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("forbidden_role"))
    );
    let (status, body) = invoke(&app, http_event(Some(&claims[&responsable]), &bulk)).await;
    assert_eq!(status, 200, "{body}");
    let job = app
        .store
        .get(&keys::job(body["job_id"].as_str().unwrap()))
        .await
        .unwrap()
        .expect("the job is stored");
    assert_eq!(
        job.attrs["started_by"],
        json!(format!("staff:{responsable}"))
    );

    // The console's events still go the console's way.
    let answer = admin_invocation(
        app.clone(),
        examreg_common::http::router(app.clone(), &[Function::Admin]),
        lambda_http::LambdaEvent::new(list, lambda_http::Context::default()),
    )
    .await
    .unwrap();
    assert!(answer["items"].is_array(), "{answer}");
}

on_both_backends!(cognito_tokens_reach_the_office_api_with_their_roles);
