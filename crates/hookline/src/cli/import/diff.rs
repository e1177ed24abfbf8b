//! What differs between an item as the source has it and as the destination has it: pure,
//! so the import's idempotence is decided here and tested without servers.

use serde_json::{Map, Value};

/// The fields of `wanted` whose values differ from `have`'s: the body of a PATCH (empty: the
/// item is unchanged).
pub(crate) fn changes(wanted: &Map<String, Value>, have: &Value) -> Map<String, Value> {
    wanted
        .iter()
        .filter(|(k, v)| !same(v, have.get(k.as_str()).unwrap_or(&Value::Null)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Equal for the API's purposes: a missing field, `null`, `[]` and `{}` all mean "none", and
/// lists of strings (filters, channels) are sets.
pub(crate) fn same(a: &Value, b: &Value) -> bool {
    normal(a) == normal(b)
}

fn normal(v: &Value) -> Value {
    match v {
        Value::Array(a) if a.is_empty() => Value::Null,
        Value::Object(o) if o.is_empty() => Value::Null,
        Value::Array(a) if a.iter().all(Value::is_string) => {
            let mut items: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
            items.sort_unstable();
            items.dedup();
            Value::from(items)
        }
        other => other.clone(),
    }
}

/// The PATCH of an endpoint's headers that makes `have` hold `wanted`: the headers to set,
/// and `null` for those to remove. Headers the API hides (`sensitive`) are in neither map and
/// so are left alone.
pub(crate) fn header_changes(
    wanted: &Map<String, Value>,
    have: &Map<String, Value>,
) -> Map<String, Value> {
    let find = |m: &Map<String, Value>, k: &str| {
        m.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    let mut out: Map<String, Value> = wanted
        .iter()
        .filter(|(k, v)| find(have, k).as_ref() != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for k in have.keys() {
        if find(wanted, k).is_none() {
            out.insert(k.clone(), Value::Null);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn none_is_none_and_lists_are_sets() {
        assert!(same(&json!(null), &json!([])));
        assert!(same(&json!({}), &json!(null)));
        assert!(same(&json!(["b", "a"]), &json!(["a", "b"])));
        assert!(!same(&json!(["a"]), &json!(["a", "b"])));
        assert!(!same(&json!(5), &json!(null)));
    }

    #[test]
    fn only_what_differs_is_patched() {
        let wanted = obj(json!({"name": "n", "uid": "u", "metadata": {}, "throttleRate": 5}));
        let have = json!({"name": "n", "uid": "u", "metadata": {}, "throttleRate": 3, "id": "x"});
        assert_eq!(changes(&wanted, &have), obj(json!({"throttleRate": 5})));
        let have = json!({"name": "n", "uid": "u", "metadata": null, "throttleRate": 5});
        assert!(changes(&wanted, &have).is_empty());
    }

    #[test]
    fn headers_set_and_removed() {
        let wanted = obj(json!({"X-A": "1", "X-B": "2"}));
        let have = obj(json!({"x-a": "1", "X-B": "old", "X-C": "3"}));
        assert_eq!(
            header_changes(&wanted, &have),
            obj(json!({"X-B": "2", "X-C": null}))
        );
        assert!(header_changes(&wanted, &obj(json!({"x-a": "1", "x-b": "2"}))).is_empty());
    }
}
