//! Checks on what the order side passes in, before anything is sent or written.

use crate::PaymentError;
use crate::model::{PaymentRequest, RefundRequest};

fn identifier(
    field: &'static str,
    text: &str,
    min: usize,
    max: usize,
    extra: &[char],
) -> Result<(), PaymentError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || extra.contains(&c);
    if text.len() < min || text.len() > max || !text.chars().all(allowed) {
        return Err(PaymentError::invalid(
            field,
            format!(
                "must be {min}–{max} characters of letters, digits and {}",
                extra.iter().collect::<String>()
            ),
        ));
    }
    Ok(())
}

fn notify_url(field: &'static str, url: &str) -> Result<(), PaymentError> {
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    if !scheme_ok || url.contains('?') || url.len() > 255 {
        return Err(PaymentError::invalid(
            field,
            "must be an http(s) URL without a query, at most 255 characters",
        ));
    }
    Ok(())
}

fn amount(field: &'static str, fen: i64) -> Result<(), PaymentError> {
    if fen < 1 || fen > i64::from(i32::MAX) {
        return Err(PaymentError::invalid(
            field,
            "must be a positive number of fen",
        ));
    }
    Ok(())
}

pub(crate) fn out_trade_no(text: &str) -> Result<(), PaymentError> {
    identifier("out_trade_no", text, 6, 32, &['_', '-', '|', '*'])
}

pub(crate) fn payment_request(request: &PaymentRequest) -> Result<(), PaymentError> {
    out_trade_no(&request.out_trade_no)?;
    if request.description.trim().is_empty() || request.description.len() > 127 {
        return Err(PaymentError::invalid("description", "must be 1–127 bytes"));
    }
    amount("amount_fen", request.amount_fen)?;
    if request.payer_openid.is_empty() || request.payer_openid.len() > 128 {
        return Err(PaymentError::invalid(
            "payer_openid",
            "must be 1–128 characters",
        ));
    }
    notify_url("notify_url", &request.notify_url)
}

pub(crate) fn refund_request(request: &RefundRequest) -> Result<(), PaymentError> {
    out_trade_no(&request.out_trade_no)?;
    identifier(
        "out_refund_no",
        &request.out_refund_no,
        1,
        64,
        &['_', '-', '|', '*', '@'],
    )?;
    amount("amount_fen", request.amount_fen)?;
    amount("total_fen", request.total_fen)?;
    if request.amount_fen > request.total_fen {
        return Err(PaymentError::invalid(
            "amount_fen",
            "must not exceed total_fen",
        ));
    }
    if request
        .reason
        .as_ref()
        .is_some_and(|reason| reason.len() > 80)
    {
        return Err(PaymentError::invalid("reason", "must be at most 80 bytes"));
    }
    match &request.notify_url {
        Some(url) => notify_url("notify_url", url),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> PaymentRequest {
        PaymentRequest {
            out_trade_no: "T20261126001".to_owned(),
            description: "开店-测试".to_owned(),
            amount_fen: 100,
            payer_openid: "o_user".to_owned(),
            notify_url: "https://kaidian.test/api/v1/pay/notify/x".to_owned(),
            expires_at: None,
        }
    }

    #[test]
    fn payment_requests_are_checked_field_by_field() {
        assert!(payment_request(&request()).is_ok());
        let bad = [
            PaymentRequest {
                out_trade_no: "T1".to_owned(),
                ..request()
            },
            PaymentRequest {
                out_trade_no: "T 2026112600".to_owned(),
                ..request()
            },
            PaymentRequest {
                amount_fen: 0,
                ..request()
            },
            PaymentRequest {
                amount_fen: i64::from(i32::MAX) + 1,
                ..request()
            },
            PaymentRequest {
                description: " ".to_owned(),
                ..request()
            },
            PaymentRequest {
                notify_url: "https://x.test/n?a=1".to_owned(),
                ..request()
            },
            PaymentRequest {
                notify_url: "ftp://x.test/n".to_owned(),
                ..request()
            },
        ];
        for request in bad {
            assert!(payment_request(&request).is_err(), "{request:?}");
        }
    }
}
