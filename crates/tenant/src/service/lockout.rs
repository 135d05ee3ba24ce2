//! Lock-out after repeated failed logins, shared by operators and staff.

use chrono::{DateTime, Utc};

use crate::TenantError;
use crate::model::LoginPolicy;

/// Refuses a login attempt while the account is locked.
pub(crate) fn refuse_if_locked(
    locked_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), TenantError> {
    match locked_until {
        Some(until) if until > now => Err(TenantError::AccountLocked { until }),
        _ => Ok(()),
    }
}

/// After a failed attempt that brought the count to `failures`: the lock to set, if any.
pub(crate) fn lock_after(
    failures: i32,
    policy: &LoginPolicy,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    (failures >= policy.max_failed_logins).then(|| now + policy.lockout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fifth_failure_locks_for_the_policy_duration() {
        let policy = LoginPolicy::default();
        let now = Utc::now();
        assert_eq!(lock_after(4, &policy, now), None);
        assert_eq!(lock_after(5, &policy, now), Some(now + policy.lockout));
        assert!(refuse_if_locked(Some(now + policy.lockout), now).is_err());
        assert!(refuse_if_locked(Some(now - policy.lockout), now).is_ok());
        assert!(refuse_if_locked(None, now).is_ok());
    }
}
