//! Parsers for the strings that arrive from outside. Each returns the normalised value or a
//! message saying what is wrong, for the caller to attach to the field.

use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};

pub type Parsed<T> = Result<T, String>;

/// A shop code: 3–32 of `a-z 0-9 -`, starting with a letter. Staff log in with it.
pub fn shop_code(text: &str) -> Parsed<String> {
    let code = text.trim().to_ascii_lowercase();
    let well_formed = (3..=32).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if well_formed {
        Ok(code)
    } else {
        Err("must be 3 to 32 characters of a-z, 0-9 and '-', starting with a letter".to_owned())
    }
}

/// Free text such as a name: trimmed, not blank, at most `max` characters.
pub fn text(value: &str, max: usize) -> Parsed<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        Err("must not be blank".to_owned())
    } else if trimmed.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else if trimmed.chars().any(char::is_control) {
        Err("must not contain control characters".to_owned())
    } else {
        Ok(trimmed.to_owned())
    }
}

pub fn email(value: &str) -> Parsed<String> {
    let email = value.trim().to_lowercase();
    let mut parts = email.split('@');
    let well_formed = match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && email.len() <= 254
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        _ => false,
    };
    if well_formed {
        Ok(email)
    } else {
        Err("must be an email address".to_owned())
    }
}

/// A mainland China mobile number: 11 digits starting with 1 (an optional +86 is dropped).
pub fn mobile(value: &str) -> Parsed<String> {
    let trimmed = value.trim();
    let digits = trimmed.strip_prefix("+86").unwrap_or(trimmed).trim();
    if digits.len() == 11 && digits.starts_with('1') && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(digits.to_owned())
    } else {
        Err("must be an 11-digit mainland mobile number".to_owned())
    }
}

/// A contact telephone: 5–20 of digits, spaces, `+` and `-`.
pub fn telephone(value: &str) -> Parsed<String> {
    let trimmed = value.trim();
    let well_formed = (5..=20).contains(&trimmed.len())
        && trimmed.chars().any(|c| c.is_ascii_digit())
        && trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-'));
    if well_formed {
        Ok(trimmed.to_owned())
    } else {
        Err("must be a telephone number".to_owned())
    }
}

pub const MIN_PASSWORD_CHARS: usize = 10;

pub fn password(value: &str) -> Parsed<String> {
    let length = value.chars().count();
    if length < MIN_PASSWORD_CHARS {
        Err(format!("must be at least {MIN_PASSWORD_CHARS} characters"))
    } else if length > 128 {
        Err("must be at most 128 characters".to_owned())
    } else {
        Ok(value.to_owned())
    }
}

/// A mini-program appid: `wx` and 16 hexadecimal digits.
pub fn appid(value: &str) -> Parsed<String> {
    let appid = value.trim();
    let well_formed = appid.len() == 18
        && appid.starts_with("wx")
        && appid[2..].chars().all(|c| c.is_ascii_hexdigit());
    if well_formed {
        Ok(appid.to_ascii_lowercase())
    } else {
        Err("must be 'wx' followed by 16 hexadecimal digits".to_owned())
    }
}

pub fn app_secret(value: &str) -> Parsed<String> {
    let secret = value.trim();
    if (16..=64).contains(&secret.len()) && secret.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(secret.to_owned())
    } else {
        Err("must be 16 to 64 letters and digits".to_owned())
    }
}

pub fn mch_id(value: &str) -> Parsed<String> {
    let id = value.trim();
    if (8..=12).contains(&id.len()) && id.chars().all(|c| c.is_ascii_digit()) {
        Ok(id.to_owned())
    } else {
        Err("must be the 8 to 12 digit WeChat Pay merchant number".to_owned())
    }
}

/// The APIv3 key is used as an AES-256 key, so it must be exactly 32 bytes.
pub fn apiv3_key(value: &str) -> Parsed<String> {
    if value.len() == 32 && value.chars().all(|c| c.is_ascii_graphic()) {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "must be exactly 32 printable ASCII characters (got {} bytes)",
            value.len()
        ))
    }
}

/// A certificate serial number in hex, as WeChat Pay prints it (upper case).
pub fn cert_serial(value: &str) -> Parsed<String> {
    let serial = value.trim();
    if (8..=64).contains(&serial.len()) && serial.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(serial.to_ascii_uppercase())
    } else {
        Err("must be the certificate serial number in hexadecimal".to_owned())
    }
}

pub fn wechatpay_public_key_id(value: &str) -> Parsed<String> {
    let id = value.trim();
    let well_formed = id.len() <= 64
        && id.strip_prefix("PUB_KEY_ID_").is_some_and(|rest| {
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric())
        });
    if well_formed {
        Ok(id.to_owned())
    } else {
        Err("must look like PUB_KEY_ID_0114232134912410000000000000".to_owned())
    }
}

const MIN_RSA_BITS: usize = 2048;

/// An RSA private key in PEM, PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`),
/// returned as PKCS#8 PEM. Malformed keys are refused here, at upload, never at payment time.
pub fn rsa_private_key(pem: &str) -> Parsed<String> {
    let pem = pem.trim();
    let key = RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
        .map_err(|_| "must be an RSA private key in PEM (PKCS#8 or PKCS#1)".to_owned())?;
    if key.size() * 8 < MIN_RSA_BITS {
        return Err(format!("must be at least {MIN_RSA_BITS} bits"));
    }
    key.validate()
        .map_err(|_| "is not a consistent RSA key".to_owned())?;
    key.to_pkcs8_pem(LineEnding::LF)
        .map(|pem| pem.to_string())
        .map_err(|_| "cannot be re-encoded as PKCS#8".to_owned())
}

/// An RSA public key in PEM (SPKI `BEGIN PUBLIC KEY`, or PKCS#1), returned as SPKI PEM.
pub fn rsa_public_key(pem: &str) -> Parsed<String> {
    let pem = pem.trim();
    let key = RsaPublicKey::from_public_key_pem(pem)
        .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
        .map_err(|_| "must be an RSA public key in PEM".to_owned())?;
    if key.size() * 8 < MIN_RSA_BITS {
        return Err(format!("must be at least {MIN_RSA_BITS} bits"));
    }
    key.to_public_key_pem(LineEnding::LF)
        .map_err(|_| "cannot be re-encoded".to_owned())
}

/// An `http(s)://` base URL without a trailing slash.
pub fn base_url(value: &str) -> Parsed<String> {
    let url = value.trim().trim_end_matches('/');
    let well_formed = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 200
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if well_formed {
        Ok(url.to_owned())
    } else {
        Err("must be an http(s) URL".to_owned())
    }
}

pub fn document_url(value: &str) -> Parsed<String> {
    let url = value.trim();
    if url.starts_with("https://") && url.len() <= 500 && !url.chars().any(char::is_whitespace) {
        Ok(url.to_owned())
    } else {
        Err("must be an https URL of at most 500 characters".to_owned())
    }
}

/// The characters of a unified social credit code (统一社会信用代码), GB 32100-2015, in value order.
const USCC_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

fn uscc_check_char(first17: &str) -> Option<char> {
    let mut sum = 0;
    for (c, weight) in first17.chars().zip(USCC_WEIGHTS) {
        let value = u32::try_from(USCC_ALPHABET.find(c)?).ok()?;
        sum += value * weight;
    }
    let check = (31 - sum % 31) % 31;
    USCC_ALPHABET.chars().nth(usize::try_from(check).ok()?)
}

/// Completes 17 characters of a unified social credit code with its check character.
pub fn with_uscc_check_char(first17: &str) -> Option<String> {
    if first17.chars().count() != 17 {
        return None;
    }
    uscc_check_char(first17).map(|check| format!("{first17}{check}"))
}

/// A business licence number: the 18-character unified social credit code, check character verified.
pub fn licence_number(value: &str) -> Parsed<String> {
    let code = value.trim().to_ascii_uppercase();
    let valid = code.len() == 18
        && code.is_ascii()
        && uscc_check_char(&code[..17]).is_some_and(|check| code.ends_with(check));
    if valid {
        Ok(code)
    } else {
        Err("must be an 18-character unified social credit code (统一社会信用代码) with a valid check character".to_owned())
    }
}

/// `****` and the last four characters: enough to recognise a secret, not to use it.
pub fn mask(secret: &str) -> String {
    let tail: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("****{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shop_codes_are_lowercased_and_checked() {
        assert_eq!(shop_code(" Acme-1 ").as_deref(), Ok("acme-1"));
        assert!(shop_code("1acme").is_err());
        assert!(shop_code("ac").is_err());
        assert!(shop_code("acme shop").is_err());
    }

    #[test]
    fn appids_must_be_wx_and_sixteen_hex_digits() {
        assert_eq!(
            appid("wx1234567890abcdef").as_deref(),
            Ok("wx1234567890abcdef")
        );
        assert!(appid("wx1234").is_err());
        assert!(appid("ab1234567890abcdef").is_err());
        assert!(appid("wx1234567890abcdeg").is_err());
    }

    #[test]
    fn the_apiv3_key_must_be_32_bytes() {
        assert!(apiv3_key("0123456789abcdef0123456789abcdef").is_ok());
        assert!(apiv3_key("0123456789abcdef0123456789abcde").is_err());
        assert!(apiv3_key("密钥密钥密钥密钥密钥密钥密钥密钥").is_err());
    }

    #[test]
    fn licence_numbers_need_a_valid_check_character() {
        let valid = with_uscc_check_char("91110108MA01ABCD1").unwrap_or_default();
        assert_eq!(licence_number(&valid).as_deref(), Ok(valid.as_str()));
        let mut wrong = valid.clone();
        let last = wrong.pop().unwrap_or('0');
        wrong.push(if last == '0' { '1' } else { '0' });
        assert!(licence_number(&wrong).is_err());
        assert!(licence_number("123").is_err());
    }

    #[test]
    fn a_published_credit_code_is_accepted() {
        // Tencent Technology (Shenzhen) Co., Ltd., as printed on its licence.
        assert!(licence_number("9144030071526726XG").is_ok());
    }

    #[test]
    fn emails_and_mobiles_are_normalised() {
        assert_eq!(email(" Owner@Shop.CN ").as_deref(), Ok("owner@shop.cn"));
        assert!(email("no-at-sign").is_err());
        assert!(email("a@b").is_err());
        assert_eq!(mobile("+8613800138000").as_deref(), Ok("13800138000"));
        assert!(mobile("12345").is_err());
    }

    #[test]
    fn masks_keep_only_the_last_four_characters() {
        assert_eq!(mask("abcdefgh"), "****efgh");
        assert_eq!(mask("ab"), "****ab");
    }

    #[test]
    fn malformed_keys_are_refused() {
        assert!(
            rsa_private_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
                .is_err()
        );
        assert!(rsa_public_key("not a key").is_err());
    }
}
