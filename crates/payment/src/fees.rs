//! WeChat's fee on a payment, and its proportional reversal on refunds.
//!
//! Rules (stated in `docs/payments.md`):
//! - the rate is in parts per million (6000 ppm = 0.6%, WeChat's default rate);
//! - fee = gross × rate / 1 000 000, rounded half up to the fen (0.5 fen → 1 fen);
//! - refunds reverse the fee **cumulatively**: after refunds totalling R of a payment of gross G
//!   and fee F, the fee reversed so far is round_half_up(F × R / G); each refund reverses the
//!   difference from before it. So the reversals never exceed the fee, and a full refund (in any
//!   number of parts, in any order) reverses exactly F.

/// WeChat Pay's standard rate for most categories: 0.6%.
pub const DEFAULT_FEE_RATE_PPM: i64 = 6_000;
/// The highest rate accepted (10%); anything above is a typo.
pub const MAX_FEE_RATE_PPM: i64 = 100_000;

/// `numerator / denominator` rounded half up, for non-negative inputs.
fn div_round_half_up(numerator: i128, denominator: i128) -> i64 {
    let rounded = (2 * numerator + denominator) / (2 * denominator);
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

/// The fee on a payment of `gross_fen` at `rate_ppm`.
pub fn payment_fee(gross_fen: i64, rate_ppm: i64) -> i64 {
    if gross_fen <= 0 || rate_ppm <= 0 {
        return 0;
    }
    div_round_half_up(i128::from(gross_fen) * i128::from(rate_ppm), 1_000_000)
}

/// The fee reversed by a refund of `refund_fen`, when `refunded_before_fen` of the same payment
/// had already been refunded.
pub fn refund_fee_reversal(
    payment_gross_fen: i64,
    payment_fee_fen: i64,
    refunded_before_fen: i64,
    refund_fen: i64,
) -> i64 {
    if payment_gross_fen <= 0 {
        return 0;
    }
    let reversed = |refunded: i64| {
        let refunded = refunded.clamp(0, payment_gross_fen);
        div_round_half_up(
            i128::from(payment_fee_fen) * i128::from(refunded),
            i128::from(payment_gross_fen),
        )
    };
    reversed(refunded_before_fen + refund_fen) - reversed(refunded_before_fen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_fee_is_six_per_mille_rounded_half_up_to_the_fen() {
        assert_eq!(payment_fee(10_000, DEFAULT_FEE_RATE_PPM), 60);
        // 0.6% of 1 fen is 0.006 fen → 0; of 83 fen is 0.498 → 0; of 84 fen is 0.504 → 1.
        assert_eq!(payment_fee(1, DEFAULT_FEE_RATE_PPM), 0);
        assert_eq!(payment_fee(83, DEFAULT_FEE_RATE_PPM), 0);
        assert_eq!(payment_fee(84, DEFAULT_FEE_RATE_PPM), 1);
        // Exactly half a fen rounds up: 0.6% of 250 fen = 1.5 fen → 2.
        assert_eq!(payment_fee(250, DEFAULT_FEE_RATE_PPM), 2);
        // 0.6% of 249 fen = 1.494 → 1.
        assert_eq!(payment_fee(249, DEFAULT_FEE_RATE_PPM), 1);
        assert_eq!(payment_fee(9_999, 0), 0);
        assert_eq!(payment_fee(100_000, 3_800), 380);
    }

    #[test]
    fn the_fee_of_huge_amounts_does_not_overflow() {
        assert_eq!(
            payment_fee(i64::MAX / 2, MAX_FEE_RATE_PPM),
            461_168_601_842_738_790
        );
    }

    #[test]
    fn a_full_refund_reverses_the_whole_fee() {
        assert_eq!(refund_fee_reversal(10_000, 60, 0, 10_000), 60);
        assert_eq!(refund_fee_reversal(250, 2, 0, 250), 2);
    }

    #[test]
    fn partial_refunds_reverse_the_fee_proportionally_and_sum_to_the_fee() {
        // Fee 2 on 250 fen; refunds 125 + 125: 2×125/250 = 1, then 2 − 1 = 1.
        assert_eq!(refund_fee_reversal(250, 2, 0, 125), 1);
        assert_eq!(refund_fee_reversal(250, 2, 125, 125), 1);
        // Three refunds of a third each of 100 fen with fee 1: 0.333 → 0, 0.667 → 1, 1 → 1.
        let parts = [33, 33, 34];
        let mut before = 0;
        let mut total = 0;
        for part in parts {
            total += refund_fee_reversal(100, 1, before, part);
            before += part;
        }
        assert_eq!(total, 1);
    }

    #[test]
    fn reversals_never_exceed_the_fee_whatever_the_split() {
        for gross in [1_i64, 7, 84, 250, 999, 10_001] {
            let fee = payment_fee(gross, DEFAULT_FEE_RATE_PPM);
            for step in 1..=gross.min(40) {
                let mut before = 0;
                let mut reversed = 0;
                while before < gross {
                    let part = step.min(gross - before);
                    let this = refund_fee_reversal(gross, fee, before, part);
                    assert!(this >= 0);
                    reversed += this;
                    before += part;
                    assert!(reversed <= fee);
                }
                assert_eq!(reversed, fee, "gross {gross} in steps of {step}");
            }
        }
    }
}
