//! WeChat Pay cryptography against the official vectors (protocol reference §7), and a
//! cross-check with an independent implementation (the `openssl` command line).

use std::path::PathBuf;
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use wechat::pay_crypto::{
    Authorization, RequestToSign, RsaSigner, RsaVerifier, aead_decrypt, aead_encrypt, pay_sign,
    request_message, response_message,
};

fn vector(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn json_vector(name: &str) -> serde_json::Value {
    serde_json::from_str(&vector(name)).unwrap_or_else(|err| panic!("{name}: {err}"))
}

fn official_signer() -> RsaSigner {
    RsaSigner::from_pem(&vector("official_doc_test_key_pkcs8.pem"))
        .unwrap_or_else(|err| panic!("{err}"))
}

fn official_verifier() -> RsaVerifier {
    RsaVerifier::from_pem(&vector("official_doc_test_pub.pem"))
        .unwrap_or_else(|err| panic!("{err}"))
}

const V1_PAY_SIGN: &str = "mI35pfNEQV6777ke/1T+LJLQDNTm7yeoUJH+j/adPGhmCCi0PbgkvYQTRcXH0uibcLVtvFLdGLpmoYO9FV6lBBsTAjuhh5YOvQi0e2g3e0yytitiNET9FEuqM0pjnKfRW4K6LIZDdbWJv9KhZUx3DrJa5TL7OJ7VdADVivxVySIlPVKjGwuCXzuXSJes0UcILgWQUMyha5/3nYofuHtS7r+KYyMuxD+oJ9VM1Qdxk4UIG59CP5Y3wtYIFybyF3bdu1caHTRRX+DLyMXyYA/IrTmiW01c4RPjpHBX5Dk1sZyY1zVsWNsvMHr2e1NTWtBxKJ+qk5N61J7caYoepHFaxw==";

#[test]
fn v1_pay_sign_matches_the_official_example() {
    let signature = pay_sign(
        &official_signer(),
        "wx2421b1c4370ec43b",
        "1554208460",
        "593BEC0C930BF1AFEB40B4A08C8FB242",
        "prepay_id=wx201410272009395522657a690389285100",
    );
    assert_eq!(signature, V1_PAY_SIGN);
    // The PKCS#1 form of the same key signs identically.
    let pkcs1 = RsaSigner::from_pem(&vector("official_doc_test_key_pkcs1.pem"))
        .unwrap_or_else(|err| panic!("{err}"));
    let message = "wx2421b1c4370ec43b\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\nprepay_id=wx201410272009395522657a690389285100\n";
    assert_eq!(pkcs1.sign(message.as_bytes()), V1_PAY_SIGN);
    assert!(official_verifier().verify(message.as_bytes(), V1_PAY_SIGN));
}

const V2_BODY: &str = r#"{"appid":"wxd678efh567hg6787","mchid":"1900007291","description":"Image形象店-深圳腾大-QQ公仔","out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php","amount":{"total":100,"currency":"CNY"},"payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}}"#;
const V2_SIGNATURE: &str = "jnks4dlrPw3ZX+ozVvSK39oa0t7OMBsg83BHAwd8BRdUFiVaQNTLTvci+wURgP1OQBbKYhFGvt7iqYpDSTQkp7Uq1sltaQKyncCyrA1g88m5bsKERQfPyT0ahSwKTYJ1CAn9QiJuSJRq1QsQs07eehbU/k9BCS51jTyc1Jpsi2H77HF9f/BnjXAOP3/sPObg6V5Ee4EzwLox684hhuMuIwHo7D8KFk3LIHOKDcNI4It1aCXydFWNpNK+SG86VUDe5kwoDpw4Ulqfu9z8OFDGbDs9TCxEv8iqQzbpxOlEVoOe2kalSYM5kApQb3nZcxdUtoE0liJGW3RGUNE0t4v01A==";

#[test]
fn v2_request_signature_matches_the_official_example_and_round_trips_the_header() {
    let authorization = Authorization::sign(
        &official_signer(),
        "1900007291",
        "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        &RequestToSign {
            method: "POST",
            canonical_url: "/v3/pay/transactions/jsapi",
            timestamp: 1554208460,
            nonce: "593BEC0C930BF1AFEB40B4A08C8FB242",
            body: V2_BODY.as_bytes(),
        },
    );
    assert_eq!(authorization.signature, V2_SIGNATURE);
    // The sandbox's side: parse the header (pairs in any order) and verify.
    let header = authorization.header_value();
    let parsed = Authorization::parse(&header);
    assert_eq!(parsed.as_ref(), Some(&authorization));
    let reordered = format!(
        "WECHATPAY2-SHA256-RSA2048 serial_no=\"{}\",timestamp=\"1554208460\",signature=\"{V2_SIGNATURE}\",nonce_str=\"593BEC0C930BF1AFEB40B4A08C8FB242\",mchid=\"1900007291\"",
        authorization.serial_no
    );
    assert_eq!(
        Authorization::parse(&reordered).as_ref(),
        Some(&authorization)
    );
    assert!(authorization.verify(
        &official_verifier(),
        "POST",
        "/v3/pay/transactions/jsapi",
        V2_BODY.as_bytes()
    ));
    // A tampered body does not verify.
    let tampered = V2_BODY.replace("\"total\":100", "\"total\":1");
    assert!(!authorization.verify(
        &official_verifier(),
        "POST",
        "/v3/pay/transactions/jsapi",
        tampered.as_bytes()
    ));
}

#[test]
fn v3_get_signature_signs_an_empty_body() {
    let message = request_message(
        "GET",
        "/v3/certificates",
        1554208460,
        "593BEC0C930BF1AFEB40B4A08C8FB242",
        b"",
    );
    assert!(message.ends_with(b"593BEC0C930BF1AFEB40B4A08C8FB242\n\n"));
    assert_eq!(
        official_signer().sign(&message),
        "JNEITrKv8DWEtBJGZtxG9ARa+eIZDIn1Ht3MQM5j9jP77TtHdfCqLjpwevfWftBuaGMfEdiu2sWYtLvnZIoLW3FH10OVCBzKncid5xClTwav8JX+uDeGBBX8w64iHvFyuQj8ukZT+F1AFJii8hmXLD8Os90thnL0bfJYLo/4K237TH4dEd44NTH9ElFb/ykrvv9RBs+mCNpy5IUe2Qxhba3d3RiMqhWK2sSr3tsVzQihJ0TPMnjWqoU2W5Y/v3rBFDmLhqe0ZW6A4vyvjmiR0v/8XEI25Py4PNyZXszsdl4j0zLqelUJxGEMUBhYg1LIoDPjYMlA9HV1yKD6+JYZJA=="
    );
}

#[test]
fn v4_aes_gcm_both_directions() {
    let key = b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
    let ciphertext = aead_encrypt(key, "uluk4a9R25RW", "associatedData", b"message");
    assert_eq!(
        ciphertext.as_deref(),
        Ok("ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=")
    );
    let plaintext = aead_decrypt(
        key,
        "uluk4a9R25RW",
        "associatedData",
        "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=",
    );
    assert_eq!(plaintext.as_deref(), Ok(&b"message"[..]));
    assert!(
        aead_decrypt(
            key,
            "uluk4a9R25RW",
            "other",
            "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI="
        )
        .is_err()
    );
    assert!(
        aead_decrypt(
            b"short key",
            "uluk4a9R25RW",
            "associatedData",
            "ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI="
        )
        .is_err()
    );
}

#[test]
fn v5_certificates_response_decrypts_to_the_platform_certificate() {
    let vector = json_vector("wechatpay-java_certificates_vector.json");
    let text = |k: &str| vector[k].as_str().unwrap_or_default().to_owned();
    let plaintext = aead_decrypt(
        text("api_v3_key").as_bytes(),
        &text("nonce"),
        &text("associated_data"),
        &text("ciphertext"),
    )
    .unwrap_or_else(|err| panic!("{err}"));
    let pem = String::from_utf8(plaintext).unwrap_or_default();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
}

#[test]
fn v8_a_real_response_signature_verifies_and_a_changed_body_does_not() {
    let public_key = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwXNI6sdlknHBnK8Fu2U6
Cwor9qY747jP8KAfeBMeveEt1TqaHkLfaSD07trZLhGpfs8/AHqjhgSMO1O10YQW
OrrJ4hjIWPKqxbgrYMkBQc+mwdiWp4W3ByCqxBRagCveCXRWCmuJYovl9H/bsDI0
iGbpVtEOghJtfciisYSgxcLufUDTRkvwxjIBK1pCRjk33jJ5YTBWTHMRtMAOcFLN
F6hdEYdX8SPsgHHeLZ5Lv2T/686w1xtgCHef/sd4uSfWmyzsalQdHG/e4IyYmrhx
+O3VBoNDzE3nx23bFeV/RVNCG7cV6VhmYokJNHa/erIPkEmEFID6A5wQOXuxUkmJ
WwIDAQAB
-----END PUBLIC KEY-----";
    let verifier = RsaVerifier::from_pem(public_key).unwrap_or_else(|err| panic!("{err}"));
    let signature = "mfI1CPqvBrgcXfgXMFjdNIhBf27ACE2YyeWsWV9ZI7T7RU0vHvbQpu9Z32ogzc+k8ZC5n3kz7h70eWKjgqNdKQF0eRp8mVKlmfzMLBVHbssB9jEZEDXThOX1XFqX7s7ymia1hoHQxQagPGzkdWxtlZPZ4ZPvr1RiqkgAu6Is8MZgXXrRoBKqjmSdrP1N7uxzJ/cjfSiis9FiLjuADoqmQ1P7p2N876YPAol7Rn0+GswwAwxldbdLrmVSjfytfSBJFqTMHn4itojgxSWWN1byuckQt8hSTEv/Lg97QoeGniYP17T80pJeQyL3b+295FPHSO2AtvCgyIbKMZ0BALilAA==";
    let body = br#"{"code_url":"weixin://wxpay/bizpayurl?pr=JyC91EIz1"}"#;
    assert!(verifier.verify(
        &response_message("1722850421", "d824f2e086d3c1df967785d13fcd22ef", body),
        signature
    ));
    assert!(!verifier.verify(
        &response_message("1722850422", "d824f2e086d3c1df967785d13fcd22ef", body),
        signature
    ));
}

#[test]
fn v9_a_transaction_resource_without_attach_decrypts() {
    let vector = json_vector("derived_transaction_resource_vector.json");
    let text = |k: &str| vector[k].as_str().unwrap_or_default().to_owned();
    let plaintext = aead_decrypt(
        text("api_v3_key").as_bytes(),
        &text("nonce"),
        &text("associated_data"),
        &text("ciphertext"),
    )
    .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        String::from_utf8(plaintext).unwrap_or_default(),
        text("plaintext")
    );
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kaidian-openssl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|err| panic!("{err}"));
    dir
}

/// Our signature, verified by OpenSSL; OpenSSL's signature, verified by us.
#[test]
fn signatures_cross_check_with_openssl() {
    let dir = scratch_dir();
    let message = request_message(
        "POST",
        "/v3/pay/transactions/jsapi",
        1554208460,
        "NONCE",
        V2_BODY.as_bytes(),
    );
    std::fs::write(dir.join("message"), &message).unwrap_or_else(|err| panic!("{err}"));
    std::fs::write(dir.join("pub.pem"), vector("official_doc_test_pub.pem"))
        .unwrap_or_else(|err| panic!("{err}"));
    std::fs::write(
        dir.join("key.pem"),
        vector("official_doc_test_key_pkcs8.pem"),
    )
    .unwrap_or_else(|err| panic!("{err}"));

    let ours = STANDARD
        .decode(official_signer().sign(&message))
        .unwrap_or_default();
    std::fs::write(dir.join("ours.sig"), ours).unwrap_or_else(|err| panic!("{err}"));
    let verified = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(dir.join("pub.pem"))
        .arg("-signature")
        .arg(dir.join("ours.sig"))
        .arg(dir.join("message"))
        .output()
        .unwrap_or_else(|err| panic!("openssl is needed for this test: {err}"));
    assert!(
        verified.status.success(),
        "openssl rejected our signature: {}",
        String::from_utf8_lossy(&verified.stdout)
    );

    let signed = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(dir.join("key.pem"))
        .arg(dir.join("message"))
        .output()
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(signed.status.success());
    let theirs = STANDARD.encode(&signed.stdout);
    assert!(
        official_verifier().verify(&message, &theirs),
        "we rejected OpenSSL's signature"
    );
    let mut tampered = message.clone();
    tampered[0] = b'G';
    assert!(!official_verifier().verify(&tampered, &theirs));
    let _ = std::fs::remove_dir_all(dir);
}
