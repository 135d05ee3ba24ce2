use kernel::{ErrorCode, ErrorKind};

/// What can go wrong calling WeChat. The errcodes that callers handle differently have their own
/// variants; the rest keep WeChat's code and message.
#[derive(Debug, thiserror::Error)]
pub enum WechatError {
    #[error("the login code is invalid, expired or already used (WeChat errcode 40029)")]
    InvalidCode,
    #[error("WeChat is rate-limiting this user (errcode 45011); try again in a minute")]
    RateLimited,
    #[error("WeChat refused this user as high-risk (errcode 40226)")]
    RiskyUser,
    #[error("WeChat is busy (errcode -1); try again")]
    Busy,
    #[error("the access token is invalid or expired (errcode {0})")]
    TokenExpired(i64),
    #[error("WeChat answered errcode {errcode}: {errmsg}")]
    Api { errcode: i64, errmsg: String },
    #[error("WeChat could not be reached: {0}")]
    Transport(String),
    #[error("WeChat's answer could not be understood: {0}")]
    BadResponse(String),
    #[error("this shop has no mini-program bound")]
    NotConfigured,
}

impl WechatError {
    /// Maps a mini-program API errcode to an error (0 is not an error).
    pub fn from_errcode(errcode: i64, errmsg: &str) -> Self {
        match errcode {
            40029 | 40163 => WechatError::InvalidCode,
            45011 => WechatError::RateLimited,
            40226 => WechatError::RiskyUser,
            -1 => WechatError::Busy,
            40001 | 40014 | 42001 => WechatError::TokenExpired(errcode),
            _ => WechatError::Api {
                errcode,
                errmsg: errmsg.to_owned(),
            },
        }
    }

    /// Worth retrying at once (WeChat says so for -1).
    pub fn is_transient(&self) -> bool {
        matches!(self, WechatError::Busy | WechatError::Transport(_))
    }
}

impl ErrorCode for WechatError {
    fn code(&self) -> &'static str {
        match self {
            WechatError::InvalidCode => "wechat.invalid_code",
            WechatError::RateLimited => "wechat.rate_limited",
            WechatError::RiskyUser => "wechat.risky_user",
            WechatError::NotConfigured => "wechat.not_configured",
            WechatError::Busy | WechatError::Transport(_) => "wechat.unavailable",
            WechatError::TokenExpired(_)
            | WechatError::Api { .. }
            | WechatError::BadResponse(_) => "wechat.upstream_error",
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            WechatError::InvalidCode => ErrorKind::Unauthenticated,
            WechatError::RateLimited => ErrorKind::RateLimited,
            WechatError::RiskyUser => ErrorKind::Forbidden,
            WechatError::NotConfigured => ErrorKind::Conflict,
            WechatError::Busy
            | WechatError::Transport(_)
            | WechatError::TokenExpired(_)
            | WechatError::Api { .. }
            | WechatError::BadResponse(_) => ErrorKind::Unavailable,
        }
    }
}
