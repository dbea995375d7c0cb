//! Schema-shaped answers for requests that ask for structured output (session titles, Gemini's
//! model router, `--output-schema` runs).

use serde_json::{Map, Value, json};

use super::gemini;
use super::recorder::Protocol;

/// The JSON schema a request asks the reply to follow, if any: Responses `text.format`
/// (`json_schema`), Anthropic `output_config.format`, Chat `response_format.json_schema`,
/// Gemini `generationConfig.responseJsonSchema` / `responseSchema`.
pub fn requested_schema(protocol: Protocol, body: &Value) -> Option<&Value> {
    match protocol {
        Protocol::OpenAiResponses => {
            let format = body.get("text")?.get("format")?;
            (format.get("type")?.as_str()? == "json_schema").then(|| format.get("schema"))?
        }
        Protocol::Anthropic => {
            let format = body.get("output_config")?.get("format")?;
            (format.get("type")?.as_str()? == "json_schema").then(|| format.get("schema"))?
        }
        Protocol::ChatCompletions => {
            let format = body.get("response_format")?;
            (format.get("type")?.as_str()? == "json_schema")
                .then(|| format.get("json_schema")?.get("schema"))?
        }
        Protocol::Gemini => gemini::schema(body),
        Protocol::Unknown => None,
    }
}

/// Schema-shaped JSON text; a top-level `title` string property gets `title`.
pub fn shaped_answer(schema: &Value, title: &str) -> String {
    let mut value = value_for_schema(schema);
    if let Some(obj) = value.as_object_mut()
        && obj.get("title").is_some_and(Value::is_string)
    {
        obj.insert("title".into(), json!(title));
    }
    value.to_string()
}

/// A value shaped like `schema` (JSON Schema, or Gemini's upper-case OpenAPI subset): the first
/// enum value, the default, or a placeholder of the right type.
pub fn value_for_schema(schema: &Value) -> Value {
    value_for_schema_depth(schema, 0)
}

fn value_for_schema_depth(schema: &Value, depth: usize) -> Value {
    if depth > 8 {
        return Value::Null;
    }
    if let Some(v) = schema.get("default").or_else(|| schema.get("const")) {
        return v.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|e| e.first())
        {
            return value_for_schema_depth(first, depth + 1);
        }
    }
    let ty = match schema.get("type") {
        Some(Value::String(s)) => s.to_ascii_lowercase(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null")
            .to_ascii_lowercase(),
        _ if schema.get("properties").is_some() => "object".into(),
        _ => "string".into(),
    };
    match ty.as_str() {
        "object" => {
            let mut out = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, v) in props {
                    out.insert(k.clone(), value_for_schema_depth(v, depth + 1));
                }
            }
            Value::Object(out)
        }
        "array" => {
            let item = schema
                .get("items")
                .map(|i| value_for_schema_depth(i, depth + 1))
                .unwrap_or(Value::Null);
            let min = schema
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .max(1);
            Value::Array(vec![item; min.min(5) as usize])
        }
        // 1 rather than 0: schemas often describe a 1-based score without stating a minimum.
        "integer" | "number" => json!(
            schema
                .get("minimum")
                .and_then(Value::as_f64)
                .map_or(1, |m| m.ceil() as i64)
        ),
        "boolean" => Value::Bool(false),
        "null" => Value::Null,
        _ => Value::String("fake".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_shapes() {
        let s = json!({"type": "object", "properties": {
            "reasoning": {"type": "string"},
            "model_choice": {"type": "string", "enum": ["flash", "pro"]},
            "n": {"type": "INTEGER"},
            "list": {"type": "array", "items": {"type": "boolean"}}}});
        let v = value_for_schema(&s);
        assert_eq!(v["model_choice"], "flash");
        assert_eq!(v["reasoning"], "fake");
        assert_eq!(v["n"], 1);
        assert_eq!(v["list"], json!([false]));
    }

    #[test]
    fn title_schema() {
        let s = json!({"type": "object", "properties": {"title": {"type": "string"}},
                       "required": ["title"], "additionalProperties": false});
        assert_eq!(shaped_answer(&s, "My title"), r#"{"title":"My title"}"#);
        let body = json!({"text": {"format": {"type": "json_schema", "name": "x", "schema": s}}});
        assert!(requested_schema(Protocol::OpenAiResponses, &body).is_some());
        let body = json!({"output_config": {"format": {"type": "json_schema", "schema": s}}});
        assert!(requested_schema(Protocol::Anthropic, &body).is_some());
        assert!(requested_schema(Protocol::ChatCompletions, &body).is_none());
    }
}
