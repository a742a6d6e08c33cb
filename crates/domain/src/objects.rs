//! Objects only where an object is meant.
//!
//! serde's derived `Deserialize` for a struct also accepts a JSON array of its
//! fields in declaration order (`"contact": [null, null]`), which no client
//! means and which a validator in front of the service would read
//! differently. Nested objects of request bodies go through these.

use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

struct ObjectOnly<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOnly<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map))
    }
}

/// `T` from a JSON object only.
pub fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_map(ObjectOnly(PhantomData))
}

struct OptionalObject<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for OptionalObject<T> {
    type Value = Option<T>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON object or null")
    }

    fn visit_none<E>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        object(deserializer).map(Some)
    }
}

/// `Option<T>` from a JSON object or `null` only.
pub fn optional_object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    deserializer.deserialize_option(OptionalObject(PhantomData))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Default, Deserialize, PartialEq)]
    struct Inner {
        a: Option<u8>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Outer {
        #[serde(default, deserialize_with = "super::object")]
        inner: Inner,
        #[serde(default, deserialize_with = "super::optional_object")]
        maybe: Option<Inner>,
    }

    #[test]
    fn arrays_are_not_objects() {
        assert!(serde_json::from_value::<Outer>(json!({"inner": [null]})).is_err());
        assert!(serde_json::from_value::<Outer>(json!({"maybe": [1]})).is_err());
        let parsed = serde_json::from_value::<Outer>(json!({"inner": {"a": 1}, "maybe": null})).ok();
        assert_eq!(parsed, Some(Outer { inner: Inner { a: Some(1) }, maybe: None }));
        let parsed = serde_json::from_value::<Outer>(json!({"maybe": {}})).ok();
        assert_eq!(parsed, Some(Outer { inner: Inner::default(), maybe: Some(Inner::default()) }));
    }
}
