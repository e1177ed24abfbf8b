//! A `Deserializer` adapter that makes serde's derived types as strict as the wire contract:
//!
//! - **An object where a struct is expected, never an array.** serde's derived structs also
//!   accept a sequence and take the fields by position (`["Acme", "acme"]` as an
//!   `ApplicationIn`), which no client means. The adapter answers every `deserialize_struct`
//!   with `deserialize_map`, so serde_json refuses an array where it stands.
//! - **No NUL (U+0000) in a typed string.** PostgreSQL's `text` cannot hold it while SQLite
//!   can, so the same request would be stored on one backend and refused by the other. Every
//!   string read through a typed field (names, uids, URLs, descriptions, map keys, list items)
//!   is checked here, before anything reaches a store, with one message on both backends.
//!
//! Struct field names and the values of unknown keys are left alone: an unknown key is
//! ignored, never stored, and a NUL in a key can never match a known field.
//!
//! Both hold at every depth: each `MapAccess`, `SeqAccess`, `Option` and enum payload handed
//! to a visitor is wrapped again. Free-form JSON (`serde_json::Value`: a message payload, an
//! event type's schemas) asks for `deserialize_any` and is passed through untouched: it is
//! kept as JSON text, where a NUL is the escape `\u0000` and any shape is allowed, so both
//! backends store it as sent, and the largest part of the hottest body (a message's
//! payload) pays nothing for the checks. Metadata values are `Value`s too, but must be
//! strings: `types::check_metadata` refuses a NUL in them with the same message.
//!
//! Why an adapter rather than a second pass over a parsed `Value`: message creation is the
//! hot path (16-23k requests/s measured), and the adapter costs no extra parse or
//! allocation: it only adds a branch per struct and a scan of each typed string.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, Error as _, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

/// What a string holding U+0000 is told, on both backends.
pub(crate) const NUL_MESSAGE: &str = "must not contain the NUL character (\\u0000)";

/// See the module doc.
pub(crate) struct Strict<D>(pub(crate) D);

/// Wraps a visitor so that what it is given is strict too.
struct Wrap<V>(V);

/// A visitor asked for a struct: told "an object" when it meets anything else.
struct AsObject<V>(V);

fn check_nul<E: de::Error>(v: &str) -> Result<(), E> {
    if v.contains('\0') {
        return Err(E::custom(NUL_MESSAGE));
    }
    Ok(())
}

macro_rules! forward_deserialize {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            self.0.$method(Wrap(visitor))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
    type Error = D::Error;

    forward_deserialize! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_option
        deserialize_unit deserialize_seq deserialize_map
    }

    /// A struct's field name (or an enum's variant name): passed through unchecked. It is
    /// only compared with the names the type knows, none of which holds a NUL, so a key
    /// with a NUL matches nothing and is ignored like any unknown key: never stored, so
    /// nothing to refuse. The keys of stored maps (`metadata`, `headers`) are read as
    /// `String`s, not identifiers, and are still checked.
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_identifier(visitor)
    }

    /// The value of an unknown key: skipped, never stored, so passed through unchecked.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_ignored_any(visitor)
    }

    /// Free-form JSON: passed through (see the module doc).
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_map(AsObject(Wrap(visitor)))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_unit_struct(name, Wrap(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_newtype_struct(name, Wrap(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_tuple(len, Wrap(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_tuple_struct(name, len, Wrap(visitor))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_enum(name, variants, Wrap(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! forward_visit {
    ($($method:ident: $ty:ty)*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            self.0.$method(v)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    forward_visit! {
        visit_bool: bool visit_i8: i8 visit_i16: i16 visit_i32: i32 visit_i64: i64
        visit_i128: i128 visit_u8: u8 visit_u16: u16 visit_u32: u32 visit_u64: u64
        visit_u128: u128 visit_f32: f32 visit_f64: f64 visit_char: char
        visit_bytes: &[u8] visit_borrowed_bytes: &'de [u8] visit_byte_buf: Vec<u8>
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        check_nul(v)?;
        self.0.visit_str(v)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        check_nul(v)?;
        self.0.visit_borrowed_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        check_nul(&v)?;
        self.0.visit_string(v)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.visit_some(Strict(d))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.visit_newtype_struct(Strict(d))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.0.visit_seq(Strict(seq))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.visit_map(Strict(map))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.0.visit_enum(Strict(data))
    }
}

/// Only a map reaches it (serde_json calls nothing else from `deserialize_map`); anything
/// else is refused by serde_json with this visitor's `expecting`.
impl<'de, V: Visitor<'de>> Visitor<'de> for AsObject<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.visit_map(map)
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Strict<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(Strict(d))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Strict<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.0.next_element_seed(Strict(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Strict<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        self.0.next_key_seed(Strict(seed))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, Self::Error> {
        self.0.next_value_seed(Strict(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Strict<A> {
    type Error = A::Error;
    type Variant = Strict<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), Self::Error> {
        let (value, variant) = self.0.variant_seed(Strict(seed))?;
        Ok((value, Strict(variant)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Strict<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), Self::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, Self::Error> {
        self.0.newtype_variant_seed(Strict(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.tuple_variant(len, Wrap(visitor))
    }

    /// A struct variant's fields come as the format gives them (serde_json: an object only).
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.struct_variant(fields, Wrap(visitor))
    }
}

/// A non-nullable field given `null`: the message, for serde's `custom` errors.
pub(crate) const NULL_MESSAGE: &str = "must not be null (leave the field out instead)";

/// `#[serde(default, deserialize_with = "non_null")]` on an `Option<T>`: absent is `None`,
/// `null` is refused (a field the reference does not declare nullable).
pub(crate) fn non_null<'de, D: Deserializer<'de>, T: de::Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    match <Option<T> as de::Deserialize>::deserialize(d)? {
        Some(v) => Ok(Some(v)),
        None => Err(D::Error::custom(NULL_MESSAGE)),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::Value;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        name: String,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Outer {
        inner: Inner,
        #[serde(default)]
        list: Vec<Inner>,
        #[serde(default)]
        maybe: Option<Inner>,
        #[serde(default)]
        free: Option<Value>,
        #[serde(default)]
        map: std::collections::BTreeMap<String, String>,
    }

    fn strict<T: for<'de> Deserialize<'de>>(json: &str) -> Result<T, String> {
        let mut de = serde_json::Deserializer::from_str(json);
        T::deserialize(Strict(&mut de)).map_err(|e| e.to_string())
    }

    #[test]
    fn objects_pass_arrays_are_refused_at_every_depth() {
        let ok = r#"{"inner":{"name":"a"},"list":[{"name":"b"}],"maybe":{"name":"c"}}"#;
        let v: Outer = strict(ok).expect("an object is fine");
        assert_eq!(v.list, vec![Inner { name: "b".into() }]);
        for bad in [
            r#"[{"name":"a"}]"#,
            r#"{"inner":["a"]}"#,
            r#"{"inner":{"name":"a"},"list":[["b"]]}"#,
            r#"{"inner":{"name":"a"},"maybe":["c"]}"#,
        ] {
            let e = strict::<Outer>(bad).expect_err(bad);
            assert!(e.contains("expected a JSON object"), "{bad}: {e}");
        }
        // Without the adapter serde takes the array by position: what this guards against.
        assert!(serde_json::from_str::<Inner>(r#"["a"]"#).is_ok());
    }

    #[test]
    fn a_nul_is_refused_in_typed_strings_and_kept_in_free_json() {
        for bad in [
            "{\"inner\":{\"name\":\"a\\u0000\"}}",
            "{\"inner\":{\"name\":\"a\"},\"map\":{\"k\\u0000\":\"v\"}}",
            "{\"inner\":{\"name\":\"a\"},\"map\":{\"k\":\"\\u0000\"}}",
        ] {
            let e = strict::<Outer>(bad).expect_err(bad);
            assert!(e.contains(NUL_MESSAGE), "{bad}: {e}");
        }
        // An unknown key (and its value) is ignored, never stored: a NUL there is harmless.
        let v: Outer =
            strict("{\"inner\":{\"name\":\"a\"},\"x\\u0000\":{\"k\\u0000\":[\"\\u0000\"]}}")
                .expect("an unknown key is ignored, NUL or not");
        assert_eq!(v.inner.name, "a");
        let v: Outer = strict("{\"inner\":{\"name\":\"a\"},\"free\":{\"x\":[\"\\u0000\"]}}")
            .expect("free-form JSON is kept as sent");
        assert_eq!(v.free, Some(serde_json::json!({"x": ["\u{0}"]})));
    }

    #[test]
    fn non_null_tells_absent_from_null() {
        #[derive(Debug, Deserialize)]
        struct P {
            #[serde(default, deserialize_with = "non_null")]
            n: Option<u32>,
        }
        assert_eq!(strict::<P>("{}").expect("absent").n, None);
        assert_eq!(strict::<P>(r#"{"n":3}"#).expect("value").n, Some(3));
        let e = strict::<P>(r#"{"n":null}"#).expect_err("null");
        assert!(e.contains(NULL_MESSAGE), "{e}");
    }
}
