//! Reading `template.yaml` as CloudFormation would: its short tags
//! (`!Sub`, `!GetAtt`, ...) turned into their long forms (`Fn::Sub`, ...),
//! expressions rendered symbolically (for the least-privilege checks of
//! `tests/template.rs`) or evaluated with concrete parameters (for the
//! deployed-shape harness, which runs the functions as the template declares
//! them).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

/// The repository's `template.yaml`.
pub fn template_path() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/template.yaml"))
}

/// The repository's `template.yaml`, in long form.
pub fn template() -> Value {
    load(template_path())
}

/// A template file, in long form.
pub fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()));
    to_json(yaml)
}

/// YAML to JSON, with CloudFormation's short tags in their long forms.
pub fn to_json(yaml: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().expect("a YAML number is a float at worst"))
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Y::Mapping(mapping) => Value::Object(
            mapping
                .into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Y::String(s) => s,
                        Y::Number(n) => n.to_string(),
                        Y::Bool(b) => b.to_string(),
                        other => panic!("unsupported mapping key {other:?}"),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!');
            let value = to_json(tagged.value);
            let (key, value) = match name {
                "Ref" | "Condition" => (name.to_owned(), value),
                "GetAtt" => match value {
                    Value::String(s) => {
                        let (resource, attribute) = s
                            .split_once('.')
                            .unwrap_or_else(|| panic!("!GetAtt {s}: expected Resource.Attribute"));
                        (
                            "Fn::GetAtt".to_owned(),
                            Value::from(vec![resource.to_owned(), attribute.to_owned()]),
                        )
                    }
                    other => ("Fn::GetAtt".to_owned(), other),
                },
                other => (format!("Fn::{other}"), value),
            };
            Value::Object(Map::from_iter([(key, value)]))
        }
    }
}

pub fn resources(t: &Value) -> &Map<String, Value> {
    t["Resources"].as_object().expect("Resources")
}

pub fn resource<'a>(t: &'a Value, id: &str) -> &'a Value {
    resources(t)
        .get(id)
        .unwrap_or_else(|| panic!("template.yaml has no resource {id}"))
}

pub fn functions(t: &Value) -> BTreeMap<&str, &Value> {
    resources(t)
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(id, r)| (id.as_str(), r))
        .collect()
}

/// A property of a function, or its `Globals` default.
pub fn function_property<'a>(t: &'a Value, function: &'a Value, name: &str) -> &'a Value {
    match &function["Properties"][name] {
        Value::Null => &t["Globals"]["Function"][name],
        value => value,
    }
}

pub fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

pub fn ref_of(v: &Value) -> Option<&str> {
    v.get("Ref").and_then(Value::as_str)
}

pub fn get_att_of(v: &Value) -> Option<(&str, &str)> {
    let parts = v.get("Fn::GetAtt")?.as_array()?;
    Some((parts.first()?.as_str()?, parts.get(1)?.as_str()?))
}

/// Every string a resource expression can evaluate to, with parameters and
/// attributes left as `${Name}` / `${Resource.Attribute}` (both branches of an
/// `Fn::If` are kept).
pub fn render(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Object(o) if o.len() == 1 => {
            let (key, arg) = o.iter().next().expect("one key");
            match key.as_str() {
                "Ref" => vec![format!("${{{}}}", arg.as_str().expect("Ref name"))],
                "Fn::GetAtt" => {
                    let (r, a) = get_att_of(v).expect("Fn::GetAtt [Resource, Attribute]");
                    vec![format!("${{{r}.{a}}}")]
                }
                "Fn::Sub" => match arg {
                    Value::String(s) => vec![s.clone()],
                    Value::Array(parts) if parts.len() == 2 => {
                        let mut out = vec![parts[0].as_str().expect("Fn::Sub string").to_owned()];
                        for (name, value) in parts[1].as_object().expect("Fn::Sub variables") {
                            let values = render(value);
                            out = out
                                .iter()
                                .flat_map(|s| {
                                    values
                                        .iter()
                                        .map(move |val| s.replace(&format!("${{{name}}}"), val))
                                })
                                .collect();
                        }
                        out
                    }
                    other => panic!("unsupported Fn::Sub {other}"),
                },
                "Fn::If" => {
                    let parts = arg.as_array().expect("Fn::If [condition, then, else]");
                    assert_eq!(parts.len(), 3, "Fn::If takes three arguments: {arg}");
                    let mut out = render(&parts[1]);
                    out.extend(render(&parts[2]));
                    out
                }
                "Fn::Select" => {
                    let parts = arg.as_array().expect("Fn::Select [index, list]");
                    let index = match &parts[0] {
                        Value::Number(n) => n.to_string(),
                        Value::String(s) => s.clone(),
                        other => panic!("unsupported Fn::Select index {other}"),
                    };
                    let split = parts[1]["Fn::Split"].as_array().unwrap_or_else(|| {
                        panic!("only Fn::Select of Fn::Split is supported: {arg}")
                    });
                    let separator = split[0].as_str().expect("Fn::Split separator");
                    render(&split[1])
                        .into_iter()
                        .map(|s| format!("{s}.split({separator})[{index}]"))
                        .collect()
                }
                other => panic!("unsupported intrinsic {other} in {v}"),
            }
        }
        other => panic!("unsupported resource expression {other}"),
    }
}

// ---------------------------------------------------------------------------
// Concrete evaluation, as CloudFormation does at deployment.

/// A deployed stack's values: its parameters, the pseudo parameters
/// (`AWS::Region`...), and what `Ref` and `Fn::GetAtt` of its resources give
/// (`Table`, `Table.Arn`). Resources not listed evaluate to their logical id
/// (`Ref`) or a placeholder ARN (`Fn::GetAtt`): the harness needs the real
/// value of only the table, the bucket and the function names.
pub struct Stack<'t> {
    pub template: &'t Value,
    pub values: BTreeMap<String, String>,
}

impl Stack<'_> {
    fn value(&self, name: &str) -> String {
        if let Some(value) = self.values.get(name) {
            return value.clone();
        }
        let parameter = &self.template["Parameters"][name];
        if let Some(default) = parameter.get("Default") {
            return scalar(default);
        }
        match name.split_once('.') {
            Some((resource, attribute)) => format!("arn:aws:harness:::{resource}/{attribute}"),
            None if self.template["Resources"].get(name).is_some() => name.to_owned(),
            None => panic!("the stack has no value for {name}"),
        }
    }

    /// A condition of the template's `Conditions`.
    pub fn condition(&self, name: &str) -> bool {
        let definition = &self.template["Conditions"][name];
        assert!(!definition.is_null(), "no condition {name}");
        self.eval(definition) == Value::Bool(true)
    }

    /// Evaluates an expression: a string, a list, or a boolean for
    /// conditions' functions.
    pub fn eval(&self, v: &Value) -> Value {
        let Value::Object(o) = v else {
            return match v {
                Value::Array(items) => Value::Array(items.iter().map(|i| self.eval(i)).collect()),
                Value::Number(_) => Value::String(scalar(v)),
                other => other.clone(),
            };
        };
        if o.len() != 1 {
            return Value::Object(o.iter().map(|(k, v)| (k.clone(), self.eval(v))).collect());
        }
        let (key, arg) = o.iter().next().expect("one key");
        let args = || arg.as_array().cloned().unwrap_or_default();
        match key.as_str() {
            "Ref" => Value::String(self.value(arg.as_str().expect("Ref name"))),
            "Fn::GetAtt" => {
                let (r, a) = get_att_of(v).expect("Fn::GetAtt [Resource, Attribute]");
                Value::String(self.value(&format!("{r}.{a}")))
            }
            "Fn::Sub" => Value::String(self.sub(arg)),
            "Fn::If" => {
                let parts = args();
                let condition = parts[0].as_str().expect("Fn::If condition");
                self.eval(&parts[if self.condition(condition) { 1 } else { 2 }])
            }
            "Fn::Not" => Value::Bool(self.eval(&args()[0]) != Value::Bool(true)),
            "Fn::Equals" => {
                let parts = args();
                Value::Bool(self.eval(&parts[0]) == self.eval(&parts[1]))
            }
            "Condition" => Value::Bool(self.condition(arg.as_str().expect("condition name"))),
            "Fn::Split" => {
                let parts = args();
                let separator = parts[0].as_str().expect("Fn::Split separator");
                let text = self.string(&parts[1]);
                Value::Array(text.split(separator).map(Value::from).collect())
            }
            "Fn::Select" => {
                let parts = args();
                let index: usize = scalar(&parts[0]).parse().expect("Fn::Select index");
                self.eval(&parts[1])[index].clone()
            }
            "Fn::Join" => {
                let parts = args();
                let separator = parts[0].as_str().expect("Fn::Join separator");
                let items = self.eval(&parts[1]);
                let items: Vec<String> = as_list(&items).into_iter().map(scalar).collect();
                Value::String(items.join(separator))
            }
            _ => Value::Object(o.iter().map(|(k, v)| (k.clone(), self.eval(v))).collect()),
        }
    }

    /// Evaluates an expression that must give a string.
    pub fn string(&self, v: &Value) -> String {
        scalar(&self.eval(v))
    }

    fn sub(&self, arg: &Value) -> String {
        let (text, variables) = match arg {
            Value::String(s) => (s.as_str(), Map::new()),
            Value::Array(parts) => (
                parts[0].as_str().expect("Fn::Sub string"),
                parts[1].as_object().cloned().unwrap_or_default(),
            ),
            other => panic!("unsupported Fn::Sub {other}"),
        };
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').expect("Fn::Sub: an unclosed ${") + start;
            let name = &rest[start + 2..end];
            out.push_str(&match variables.get(name) {
                Some(value) => self.string(value),
                None => self.value(name),
            });
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// A scalar as CloudFormation passes it: strings as they are, numbers and
/// booleans as their text.
pub fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// One route of the HTTP API: `$default` when the event names no path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    /// `GET`, ..., or `ANY`.
    pub method: String,
    /// API Gateway's syntax (`/inscription/pieces/{kind}/uploads`), or `$default`.
    pub path: String,
    /// The logical id of the function behind it.
    pub function: String,
}

impl HttpRoute {
    /// API Gateway's route key: `POST /auth/login`, or `$default`.
    pub fn key(&self) -> String {
        if self.path == "$default" {
            self.path.clone()
        } else {
            format!("{} {}", self.method, self.path)
        }
    }
}

/// Every `HttpApi` event of every function. SAM makes an event with neither
/// `Path` nor `Method` the API's `$default` route.
pub fn http_routes(t: &Value) -> Vec<HttpRoute> {
    let mut routes = Vec::new();
    for (id, function) in functions(t) {
        let Some(events) = function["Properties"]["Events"].as_object() else {
            continue;
        };
        for event in events.values().filter(|e| e["Type"] == "HttpApi") {
            let p = &event["Properties"];
            let (method, path) = match (p["Method"].as_str(), p["Path"].as_str()) {
                (None, None) => ("ANY".to_owned(), "$default".to_owned()),
                (method, path) => (
                    method.expect("Method").to_uppercase(),
                    path.expect("Path").to_owned(),
                ),
            };
            routes.push(HttpRoute {
                method,
                path,
                function: id.to_owned(),
            });
        }
    }
    routes
}
