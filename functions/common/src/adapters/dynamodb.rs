//! The DynamoDB store: the [`Store`] port over one table.
//!
//! The table is keyed by `pk`/`sk` (strings) and has two global secondary
//! indexes, `gsi1` (`gsi1pk`/`gsi1sk`) and `gsi2` (`gsi2pk`/`gsi2sk`), both
//! projecting every attribute. Attributes are mapped with serde_dynamo, so a
//! JSON string is an `S`, a number an `N`, an object an `M`: items read
//! naturally in the console.
//!
//! Every port call is one round trip (except `get_many`, which retries the
//! keys DynamoDB left unprocessed, a bounded number of times).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::client::Waiters as _;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, CancellationReason, ConditionCheck, Delete,
    GlobalSecondaryIndex, KeySchemaElement, KeyType, KeysAndAttributes, Projection, ProjectionType,
    Put, ScalarAttributeType, TimeToLiveSpecification, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

use crate::ports::store::{
    Condition, Index, Item, Key, Page, Query, SortKeyCondition, Store, StoreError, WriteOp,
    GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK, MAX_TRANSACTION_OPS, TTL_ATTRIBUTE,
};

const PK: &str = "pk";
const SK: &str = "sk";

/// The most keys one `get_many` reads (BatchGetItem's limit).
const MAX_BATCH_GET: usize = 100;
/// How many times `get_many` asks again for the keys DynamoDB left unprocessed.
const BATCH_GET_RETRIES: u32 = 6;
/// The most items one query page returns (the SQLite store clamps the same way).
const MAX_PAGE: usize = 1000;

/// The error codes DynamoDB answers when it throttles.
const THROTTLING_CODES: [&str; 4] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "Throttling",
];

/// A [`Store`] over one DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    /// A store over `table`. Build the client once (in `main`), not per request.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Creates the table as the SAM template declares it: `pk`/`sk`, the two
/// GSIs projecting everything, on-demand billing, TTL on `expires_at_epoch`.
/// Waits until the table is active. A table that already exists is left as
/// it is (so local tooling may call this at every start). Enabling TTL is
/// best effort: emulators that do not support it are ignored.
pub async fn create_table(client: &Client, name: &str) -> Result<(), StoreError> {
    let string_attribute = |attribute: &str| {
        AttributeDefinition::builder()
            .attribute_name(attribute)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|e| StoreError::Invalid(e.to_string()))
    };
    let key_schema = |hash: &str, range: &str| -> Result<Vec<KeySchemaElement>, StoreError> {
        Ok(vec![
            KeySchemaElement::builder()
                .attribute_name(hash)
                .key_type(KeyType::Hash)
                .build()
                .map_err(|e| StoreError::Invalid(e.to_string()))?,
            KeySchemaElement::builder()
                .attribute_name(range)
                .key_type(KeyType::Range)
                .build()
                .map_err(|e| StoreError::Invalid(e.to_string()))?,
        ])
    };
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(PK, SK)?));
    for attribute in [PK, SK, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK] {
        request = request.attribute_definitions(string_attribute(attribute)?);
    }
    for index in [Index::Gsi1, Index::Gsi2] {
        let (hash, range) = index.key_attributes();
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index.name())
                .set_key_schema(Some(key_schema(hash, range)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(|e| StoreError::Invalid(e.to_string()))?,
        );
    }
    match request.send().await {
        Ok(_) => {}
        Err(err) if service_code(&err) == Some("ResourceInUseException") => {}
        Err(err) => return Err(map_error(err)),
    }
    client
        .wait_until_table_exists()
        .table_name(name)
        .wait(Duration::from_secs(300))
        .await
        .map_err(|e| StoreError::Unavailable(DisplayErrorContext(&e).to_string()))?;
    let ttl = TimeToLiveSpecification::builder()
        .enabled(true)
        .attribute_name(TTL_ATTRIBUTE)
        .build()
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    if let Err(err) = client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(ttl)
        .send()
        .await
    {
        // Already enabled, or an emulator without TTL: neither matters here.
        tracing::debug!(table = name, error = %DisplayErrorContext(&err), "TTL not enabled");
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Mapping items and keys.

type DynamoItem = HashMap<String, AttributeValue>;

fn key_to_dynamo(key: &Key) -> DynamoItem {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(key.pk.clone())),
        (SK.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

fn item_to_dynamo(item: &Item) -> Result<DynamoItem, StoreError> {
    let mut attrs = item.attrs.clone();
    // A null index key means "not in that index": DynamoDB refuses a NULL
    // where an index expects a string, so such attributes are left out.
    for name in [GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK] {
        if attrs.get(name).is_some_and(Value::is_null) {
            attrs.remove(name);
        }
    }
    let mut out: DynamoItem = serde_dynamo::aws_sdk_dynamodb_1::to_item(Value::Object(attrs))
        .map_err(|e| StoreError::Invalid(format!("item {}/{}: {e}", item.key.pk, item.key.sk)))?;
    out.extend(key_to_dynamo(&item.key));
    Ok(out)
}

fn string_attribute(item: &DynamoItem, name: &str) -> Result<String, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value.clone()),
        _ => Err(StoreError::Corrupt(format!(
            "an item has no string attribute {name}"
        ))),
    }
}

fn item_from_dynamo(mut item: DynamoItem) -> Result<Item, StoreError> {
    let key = Key {
        pk: string_attribute(&item, PK)?,
        sk: string_attribute(&item, SK)?,
    };
    item.remove(PK);
    item.remove(SK);
    let attrs: Map<String, Value> = serde_dynamo::aws_sdk_dynamodb_1::from_item(item)
        .map_err(|e| StoreError::Corrupt(format!("item {}/{}: {e}", key.pk, key.sk)))?;
    Ok(Item { key, attrs })
}

/// The cursor is DynamoDB's `LastEvaluatedKey` (string attributes only), as
/// base64url of a JSON object: opaque to callers.
fn encode_cursor(last_key: &DynamoItem) -> Result<String, StoreError> {
    let mut json = Map::new();
    for (name, value) in last_key {
        match value {
            AttributeValue::S(s) => {
                json.insert(name.clone(), Value::String(s.clone()));
            }
            _ => {
                return Err(StoreError::Corrupt(format!(
                    "key attribute {name} is not a string"
                )))
            }
        }
    }
    let bytes =
        serde_json::to_vec(&Value::Object(json)).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn decode_cursor(cursor: &str) -> Result<DynamoItem, StoreError> {
    let invalid = || StoreError::Invalid("unreadable cursor".into());
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let json: Map<String, Value> = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    json.into_iter()
        .map(|(name, value)| match value {
            Value::String(s) => Ok((name, AttributeValue::S(s))),
            _ => Err(invalid()),
        })
        .collect()
}

/// The `LastEvaluatedKey` DynamoDB would give for `item` in this query: the
/// table's key, plus the index's key when querying an index.
fn last_key_of(item: &Item, index: Option<Index>) -> Result<DynamoItem, StoreError> {
    let mut key = key_to_dynamo(&item.key);
    if let Some(index) = index {
        let (hash, range) = index.key_attributes();
        for name in [hash, range] {
            let value = item.str_attr(name).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "item {}/{} found in {} has no string {name}",
                    item.key.pk,
                    item.key.sk,
                    index.name()
                ))
            })?;
            key.insert(name.to_owned(), AttributeValue::S(value.to_owned()));
        }
    }
    Ok(key)
}

// ---------------------------------------------------------------------------
// Conditions.

/// A condition as DynamoDB expression parts.
#[derive(Debug, Default)]
struct Expression {
    text: Option<String>,
    names: Option<HashMap<String, String>>,
    values: Option<DynamoItem>,
}

fn condition_expression(condition: &Condition, for_check: bool) -> Result<Expression, StoreError> {
    Ok(match condition {
        // A ConditionCheck must carry a condition: give it one that always holds.
        Condition::Always if for_check => Expression {
            text: Some("attribute_exists(pk) OR attribute_not_exists(pk)".into()),
            ..Expression::default()
        },
        Condition::Always => Expression::default(),
        Condition::NotExists => Expression {
            text: Some("attribute_not_exists(pk)".into()),
            ..Expression::default()
        },
        Condition::Exists => Expression {
            text: Some("attribute_exists(pk)".into()),
            ..Expression::default()
        },
        Condition::AttributeEquals(name, value) => {
            let value = serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(value)
                .map_err(|e| StoreError::Invalid(format!("condition value: {e}")))?;
            Expression {
                text: Some("#a = :v".into()),
                names: Some(HashMap::from([("#a".to_owned(), name.clone())])),
                values: Some(HashMap::from([(":v".to_owned(), value)])),
            }
        }
    })
}

fn validate_ops(ops: &[WriteOp]) -> Result<(), StoreError> {
    if ops.is_empty() || ops.len() > MAX_TRANSACTION_OPS {
        return Err(StoreError::Invalid(format!(
            "a transaction holds 1 to {MAX_TRANSACTION_OPS} operations, not {}",
            ops.len()
        )));
    }
    let mut seen = HashSet::with_capacity(ops.len());
    if !ops.iter().all(|op| seen.insert(op.key())) {
        return Err(StoreError::Invalid(
            "a transaction may touch each key once".into(),
        ));
    }
    Ok(())
}

/// `ADD #a0 :v0, #a1 :v1...` for `WriteOp::Add`.
fn add_expression(
    deltas: &std::collections::BTreeMap<String, i64>,
) -> (
    String,
    HashMap<String, String>,
    HashMap<String, AttributeValue>,
) {
    let mut clauses = Vec::with_capacity(deltas.len());
    let mut names = HashMap::with_capacity(deltas.len());
    let mut values = HashMap::with_capacity(deltas.len());
    for (i, (name, delta)) in deltas.iter().enumerate() {
        clauses.push(format!("#a{i} :v{i}"));
        names.insert(format!("#a{i}"), name.clone());
        values.insert(format!(":v{i}"), AttributeValue::N(delta.to_string()));
    }
    (format!("ADD {}", clauses.join(", ")), names, values)
}

fn transact_item(table: &str, op: &WriteOp) -> Result<TransactWriteItem, StoreError> {
    let built = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Invalid(e.to_string());
    Ok(match op {
        WriteOp::Put { item, condition } => {
            let expression = condition_expression(condition, false)?;
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(table)
                        .set_item(Some(item_to_dynamo(item)?))
                        .set_condition_expression(expression.text)
                        .set_expression_attribute_names(expression.names)
                        .set_expression_attribute_values(expression.values)
                        .build()
                        .map_err(built)?,
                )
                .build()
        }
        WriteOp::Delete { key, condition } => {
            let expression = condition_expression(condition, false)?;
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(table)
                        .set_key(Some(key_to_dynamo(key)))
                        .set_condition_expression(expression.text)
                        .set_expression_attribute_names(expression.names)
                        .set_expression_attribute_values(expression.values)
                        .build()
                        .map_err(built)?,
                )
                .build()
        }
        WriteOp::Add { key, deltas } => {
            let (expression, names, values) = add_expression(deltas);
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(table)
                        .set_key(Some(key_to_dynamo(key)))
                        .update_expression(expression)
                        .set_expression_attribute_names(Some(names))
                        .set_expression_attribute_values(Some(values))
                        .build()
                        .map_err(built)?,
                )
                .build()
        }
        WriteOp::Check { key, condition } => {
            let expression = condition_expression(condition, true)?;
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name(table)
                        .set_key(Some(key_to_dynamo(key)))
                        .set_condition_expression(expression.text)
                        .set_expression_attribute_names(expression.names)
                        .set_expression_attribute_values(expression.values)
                        .build()
                        .map_err(built)?,
                )
                .build()
        }
    })
}

// ---------------------------------------------------------------------------
// Errors.

fn service_code<E, R>(err: &SdkError<E, R>) -> Option<&str>
where
    E: ProvideErrorMetadata,
{
    match err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

/// Maps any DynamoDB error that is not a transaction cancellation.
fn map_error<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let message = DisplayErrorContext(&err).to_string();
    match service_code(&err) {
        Some("ConditionalCheckFailedException") => StoreError::ConditionFailed { op_index: 0 },
        Some("TransactionConflictException") => StoreError::Conflict(message),
        Some(code) if THROTTLING_CODES.contains(&code) => StoreError::Throttled(message),
        // A request DynamoDB can never accept (an item over 400 KB, a number
        // where an index wants a string...): a bug, not an outage.
        Some("ValidationException") => StoreError::Invalid(message),
        _ => StoreError::Unavailable(message),
    }
}

/// Maps the reasons of a cancelled transaction, one per operation in order.
fn map_cancellation(reasons: &[CancellationReason], message: String) -> StoreError {
    let code_of = |reason: &CancellationReason| reason.code().unwrap_or("None").to_owned();
    if let Some(op_index) = reasons
        .iter()
        .position(|r| r.code() == Some("ConditionalCheckFailed"))
    {
        return StoreError::ConditionFailed { op_index };
    }
    let codes: Vec<String> = reasons.iter().map(code_of).collect();
    if codes.iter().any(|c| c == "TransactionConflict") {
        StoreError::Conflict(message)
    } else if codes.iter().any(|c| {
        c == "ThrottlingError"
            || c == "ProvisionedThroughputExceeded"
            || c == "RequestLimitExceeded"
    }) {
        StoreError::Throttled(message)
    } else if codes.iter().any(|c| c == "ValidationError") {
        StoreError::Invalid(message)
    } else {
        StoreError::Unavailable(message)
    }
}

fn map_transact_error<R>(err: SdkError<TransactWriteItemsError, R>) -> StoreError
where
    R: std::fmt::Debug,
{
    if let SdkError::ServiceError(service) = &err {
        if let TransactWriteItemsError::TransactionCanceledException(cancelled) = service.err() {
            let message = DisplayErrorContext(&err).to_string();
            return map_cancellation(cancelled.cancellation_reasons(), message);
        }
    }
    map_error(err)
}

// ---------------------------------------------------------------------------
// The port.

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_to_dynamo(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(map_error)?;
        output.item.map(item_from_dynamo).transpose()
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        if keys.len() > MAX_BATCH_GET {
            return Err(StoreError::Invalid(format!(
                "at most {MAX_BATCH_GET} keys per batch, not {}",
                keys.len()
            )));
        }
        // BatchGetItem refuses duplicate keys.
        let mut seen = HashSet::with_capacity(keys.len());
        let mut pending: Vec<DynamoItem> = keys
            .iter()
            .filter(|key| seen.insert(*key))
            .map(key_to_dynamo)
            .collect();
        let mut found = Vec::with_capacity(pending.len());
        let mut attempt = 0;
        while !pending.is_empty() {
            if attempt > 0 {
                if attempt > BATCH_GET_RETRIES {
                    return Err(StoreError::Throttled(format!(
                        "{} keys still unprocessed after {BATCH_GET_RETRIES} retries",
                        pending.len()
                    )));
                }
                // Exponential backoff: 25 ms, 50 ms, ... 800 ms.
                tokio::time::sleep(Duration::from_millis(25 << (attempt - 1))).await;
            }
            attempt += 1;
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(map_error)?;
            if let Some(mut responses) = output.responses {
                for item in responses.remove(&self.table).unwrap_or_default() {
                    found.push(item_from_dynamo(item)?);
                }
            }
            if let Some(mut unprocessed) = output.unprocessed_keys {
                if let Some(rest) = unprocessed.remove(&self.table) {
                    pending = rest.keys;
                }
            }
        }
        Ok(found)
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let limit = query.limit.clamp(1, MAX_PAGE);
        let (pk_name, sk_name) = match query.index {
            None => (PK, SK),
            Some(index) => index.key_attributes(),
        };
        let mut names = HashMap::from([("#pk".to_owned(), pk_name.to_owned())]);
        let mut values =
            HashMap::from([(":pk".to_owned(), AttributeValue::S(query.partition.clone()))]);
        let mut key_condition = "#pk = :pk".to_owned();
        match &query.sort_key {
            SortKeyCondition::Any => {}
            SortKeyCondition::BeginsWith(prefix) => {
                key_condition.push_str(" AND begins_with(#sk, :sk)");
                names.insert("#sk".into(), sk_name.into());
                values.insert(":sk".into(), AttributeValue::S(prefix.clone()));
            }
            SortKeyCondition::AtMost(bound) => {
                key_condition.push_str(" AND #sk <= :sk");
                names.insert("#sk".into(), sk_name.into());
                values.insert(":sk".into(), AttributeValue::S(bound.clone()));
            }
        }
        let start = query.cursor.as_deref().map(decode_cursor).transpose()?;
        // One item more than asked tells whether another page follows, so that
        // a caller paging through never pays for a last, empty page.
        let fetch = i32::try_from(limit + 1).unwrap_or(i32::MAX);
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(query.index.map(|index| index.name().to_owned()))
            // Global secondary indexes only offer eventually consistent reads.
            .consistent_read(query.index.is_none())
            .key_condition_expression(key_condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .set_exclusive_start_key(start)
            .limit(fetch)
            .send()
            .await
            .map_err(map_error)?;
        let mut items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(item_from_dynamo)
            .collect::<Result<Vec<_>, _>>()?;
        let cursor = if items.len() > limit {
            items.truncate(limit);
            match items.last() {
                Some(last) => Some(encode_cursor(&last_key_of(last, query.index)?)?),
                None => None,
            }
        } else {
            // DynamoDB stopped early (1 MB per page): resume where it stopped.
            match output.last_evaluated_key {
                Some(last) if !last.is_empty() => Some(encode_cursor(&last)?),
                _ => None,
            }
        };
        Ok(Page { items, cursor })
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        validate_ops(&ops)?;
        if let [op] = ops.as_slice() {
            match op {
                WriteOp::Put { item, condition } => {
                    let expression = condition_expression(condition, false)?;
                    self.client
                        .put_item()
                        .table_name(&self.table)
                        .set_item(Some(item_to_dynamo(item)?))
                        .set_condition_expression(expression.text)
                        .set_expression_attribute_names(expression.names)
                        .set_expression_attribute_values(expression.values)
                        .send()
                        .await
                        .map_err(map_error)?;
                    return Ok(());
                }
                WriteOp::Delete { key, condition } => {
                    let expression = condition_expression(condition, false)?;
                    self.client
                        .delete_item()
                        .table_name(&self.table)
                        .set_key(Some(key_to_dynamo(key)))
                        .set_condition_expression(expression.text)
                        .set_expression_attribute_names(expression.names)
                        .set_expression_attribute_values(expression.values)
                        .send()
                        .await
                        .map_err(map_error)?;
                    return Ok(());
                }
                WriteOp::Add { key, deltas } => {
                    let (expression, names, values) = add_expression(deltas);
                    self.client
                        .update_item()
                        .table_name(&self.table)
                        .set_key(Some(key_to_dynamo(key)))
                        .update_expression(expression)
                        .set_expression_attribute_names(Some(names))
                        .set_expression_attribute_values(Some(values))
                        .send()
                        .await
                        .map_err(map_error)?;
                    return Ok(());
                }
                // A lone check is only expressible as a transaction.
                WriteOp::Check { .. } => {}
            }
        }
        let items = ops
            .iter()
            .map(|op| transact_item(&self.table, op))
            .collect::<Result<Vec<_>, _>>()?;
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(map_transact_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_round_trip_with_natural_types() {
        let item = Item::new(Key::new("ACCOUNT#a@b.fr", "PROFILE"))
            .with("email", "a@b.fr")
            .with("version", 3)
            .with("ratio", 1.5)
            .with("active", true)
            .with("tags", json!(["x", "y"]))
            .with("nested", json!({"k": null}));
        let dynamo = item_to_dynamo(&item).unwrap();
        assert_eq!(dynamo["pk"], AttributeValue::S("ACCOUNT#a@b.fr".into()));
        assert_eq!(dynamo["email"], AttributeValue::S("a@b.fr".into()));
        assert_eq!(dynamo["version"], AttributeValue::N("3".into()));
        assert_eq!(dynamo["active"], AttributeValue::Bool(true));
        assert_eq!(item_from_dynamo(dynamo).unwrap(), item);
    }

    #[test]
    fn null_index_keys_are_left_out() {
        let item = Item::new(Key::new("a", "b")).with(GSI1_PK, Value::Null);
        assert!(!item_to_dynamo(&item).unwrap().contains_key(GSI1_PK));
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_invalid() {
        let key = key_to_dynamo(&Key::new("p", "s"));
        assert_eq!(decode_cursor(&encode_cursor(&key).unwrap()).unwrap(), key);
        assert!(matches!(decode_cursor("%%%"), Err(StoreError::Invalid(_))));
        let not_strings = URL_SAFE_NO_PAD.encode(br#"{"pk": 1}"#);
        assert!(matches!(
            decode_cursor(&not_strings),
            Err(StoreError::Invalid(_))
        ));
    }

    #[test]
    fn cancellation_reasons_name_the_failing_operation() {
        let reason = |code: &str| CancellationReason::builder().code(code).build();
        let reasons = [
            reason("None"),
            reason("ConditionalCheckFailed"),
            reason("None"),
        ];
        assert!(matches!(
            map_cancellation(&reasons, String::new()),
            StoreError::ConditionFailed { op_index: 1 }
        ));
        let reasons = [reason("TransactionConflict"), reason("None")];
        assert!(matches!(
            map_cancellation(&reasons, String::new()),
            StoreError::Conflict(_)
        ));
        let reasons = [reason("ThrottlingError")];
        assert!(matches!(
            map_cancellation(&reasons, String::new()),
            StoreError::Throttled(_)
        ));
    }

    #[test]
    fn duplicate_keys_in_a_transaction_are_refused() {
        let key = Key::new("a", "b");
        let ops = vec![WriteOp::delete(key.clone()), WriteOp::delete(key)];
        assert!(matches!(validate_ops(&ops), Err(StoreError::Invalid(_))));
        assert!(matches!(validate_ops(&[]), Err(StoreError::Invalid(_))));
    }
}
