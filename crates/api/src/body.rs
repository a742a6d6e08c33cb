//! Request bodies: the one way a handler receives JSON.
//!
//! Strict on purpose, because a proxy or validator in front of the service
//! may read a body differently from us if we are lenient:
//!
//! - the media type is `application/json`, or for `PATCH` the merge-patch
//!   type of RFC 7396 (`application/merge-patch+json`); a `charset`, if
//!   sent, is UTF-8; anything else is 415;
//! - no `Content-Encoding` (other than `identity`): 415;
//! - at most [`JSON_BODY_LIMIT`] bytes: 413;
//! - valid JSON with no object key repeated: 400 `malformed_json`.

use std::fmt;

use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::mime;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::errors::ApiError;

/// Largest JSON body accepted, in bytes.
pub const JSON_BODY_LIMIT: usize = 64 * 1024;

/// A JSON body that is required.
#[derive(Debug)]
pub struct JsonBody(pub Value);

impl JsonBody {
    /// The parsed value.
    pub fn into_inner(self) -> Value {
        self.0
    }
}

/// A JSON body that may be left out (an empty body is none).
#[derive(Debug)]
pub struct OptionalJsonBody(pub Option<Value>);

impl OptionalJsonBody {
    /// The parsed value, if a body was sent.
    pub fn into_inner(self) -> Option<Value> {
        self.0
    }
}

/// Checks the headers that describe a body.
fn check_representation(request: &HttpRequest) -> Result<(), ApiError> {
    let headers = request.headers();
    let mut encodings = headers.get_all(header::CONTENT_ENCODING);
    if encodings.any(|value| !value.to_str().is_ok_and(|value| value.trim().eq_ignore_ascii_case("identity"))) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let mut types = headers.get_all(header::CONTENT_TYPE);
    let (Some(value), None) = (types.next(), types.next()) else {
        return Err(ApiError::UnsupportedMediaType);
    };
    let mime: mime::Mime =
        value.to_str().ok().and_then(|text| text.parse().ok()).ok_or(ApiError::UnsupportedMediaType)?;
    let essence = mime.essence_str();
    let accepted = essence == "application/json"
        || (request.method() == Method::PATCH && essence == "application/merge-patch+json");
    if !accepted {
        return Err(ApiError::UnsupportedMediaType);
    }
    if let Some(charset) = mime.get_param(mime::CHARSET)
        && !charset.as_str().eq_ignore_ascii_case("utf-8")
    {
        return Err(ApiError::UnsupportedMediaType);
    }
    Ok(())
}

/// Parses JSON text, refusing repeated object keys.
pub fn parse_strict(bytes: &[u8]) -> Result<Value, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue.deserialize(&mut deserializer).map_err(|_| ApiError::MalformedJson)?;
    deserializer.end().map_err(|_| ApiError::MalformedJson)?;
    Ok(value)
}

async fn read_bytes(request: HttpRequest, mut payload: Payload) -> Result<web::Bytes, ApiError> {
    let too_large = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok())
        .is_some_and(|length| length > JSON_BODY_LIMIT as u64);
    if too_large {
        return Err(ApiError::PayloadTooLarge { limit: JSON_BODY_LIMIT });
    }
    web::Bytes::from_request(&request, &mut payload).await.map_err(|error| {
        match error.as_response_error().status_code() {
            actix_web::http::StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge { limit: JSON_BODY_LIMIT },
            _ => ApiError::MalformedJson,
        }
    })
}

impl FromRequest for JsonBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = check_representation(request);
        let request = request.clone();
        let payload = payload.take();
        Box::pin(async move {
            checked?;
            let bytes = read_bytes(request, payload).await?;
            parse_strict(&bytes).map(Self)
        })
    }
}

impl FromRequest for OptionalJsonBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let request = request.clone();
        let payload = payload.take();
        Box::pin(async move {
            let bytes = read_bytes(request.clone(), payload).await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(Self(None));
            }
            check_representation(&request)?;
            parse_strict(&bytes).map(|value| Self(Some(value)))
        })
    }
}

/// Deserialises any JSON value, failing on a repeated object key.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = sequence.next_element_seed(StrictValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom("an object key is repeated"));
            }
            let value = map.next_value_seed(StrictValue)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_are_refused_at_any_depth() {
        assert!(matches!(parse_strict(br#"{"a":1,"a":2}"#), Err(ApiError::MalformedJson)));
        assert!(matches!(parse_strict(br#"{"x":[{"b":1,"b":1}]}"#), Err(ApiError::MalformedJson)));
        // The same key in sibling objects is fine.
        assert!(parse_strict(br#"[{"a":1},{"a":2}]"#).is_ok());
    }

    #[test]
    fn values_parse_as_serde_json_would() {
        let text = br#"{"n":-3,"u":18446744073709551615,"f":1.5,"s":"\u00e9","z":null,"t":true,"l":[1,[2]]}"#;
        let strict = parse_strict(text).ok();
        let plain: Option<Value> = serde_json::from_slice(text).ok();
        assert_eq!(strict, plain);
        assert!(matches!(parse_strict(b"{} {}"), Err(ApiError::MalformedJson)));
        assert!(matches!(parse_strict(b""), Err(ApiError::MalformedJson)));
    }
}
