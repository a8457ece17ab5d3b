//! Signing deliveries as the Standard Webhooks specification says: a
//! secret `whsec_` + base64 of 24 random bytes (the key is the decoded
//! bytes), and `webhook-signature: v1,<base64 of HMAC-SHA256 of
//! "{id}.{timestamp}.{body}">`, one such signature per secret in force,
//! separated by spaces.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const PREFIX: &str = "whsec_";

/// A new secret.
pub fn new_secret() -> String {
    let mut key = [0u8; 24];
    getrandom::fill(&mut key).expect("the operating system provides random bytes");
    format!("{PREFIX}{}", STANDARD.encode(key))
}

/// The signature of one message with one secret: `v1,<base64>`.
pub fn sign(secret: &str, message_id: &str, timestamp: i64, body: &str) -> String {
    let key =
        STANDARD.decode(secret.strip_prefix(PREFIX).unwrap_or(secret)).unwrap_or_else(|_| secret.as_bytes().to_vec());
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes a key of any length");
    mac.update(message_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header: a signature per secret in force.
pub fn header(secrets: &[&str], message_id: &str, timestamp: i64, body: &str) -> String {
    secrets.iter().map(|secret| sign(secret, message_id, timestamp, body)).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the specification's reference libraries.
    #[test]
    fn signs_as_the_reference_libraries_do() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let signature = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, r#"{"test": 2432232314}"#);
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_new_secret_is_24_random_bytes() {
        let (one, two) = (new_secret(), new_secret());
        assert_ne!(one, two);
        assert_eq!(STANDARD.decode(one.strip_prefix(PREFIX).unwrap()).unwrap().len(), 24);
    }
}
