#![doc = include_str!("../README.md")]

mod error;
pub mod http;
pub mod kdniao;
pub mod miniprogram;
pub mod pay_crypto;
pub mod tokens;

pub use error::WechatError;
pub use miniprogram::{AppCredentials, MiniProgramClient};
pub use tokens::AccessTokens;

/// Real WeChat's server API host; the sandbox replaces it.
pub const WECHAT_API_BASE_URL: &str = "https://api.weixin.qq.com";
/// Real WeChat Pay's API host.
pub const WECHAT_PAY_BASE_URL: &str = "https://api.mch.weixin.qq.com";
/// Real KDNiao's API host.
pub const KDNIAO_BASE_URL: &str = "https://api.kdniao.com";
