//! Domain types of fulfilment: sender addresses, the shop's KDNiao account, shipping with a
//! carrier and tracking number or with an electronic waybill, the label, and tracking.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::model::{Address, Order, ShipmentIn};

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct SenderAddressIn {
    /// The sender's name (寄件人) as printed on the label.
    pub name: String,
    pub mobile: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
    #[serde(default)]
    pub is_default: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SenderAddress {
    pub id: Uuid,
    pub name: String,
    pub mobile: String,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
    pub is_default: bool,
}

/// The shop's KDNiao (快递鸟) account: its user id and AppKey (sealed at rest, never returned).
#[derive(Clone, Deserialize, ToSchema)]
pub struct KdniaoAccountIn {
    /// KDNiao's `EBusinessID`.
    pub ebusiness_id: String,
    /// KDNiao's `AppKey`; kept sealed, shown masked.
    pub app_key: String,
    /// Another KDNiao host for this shop only (absent: the platform's `wechat.kdniao_base_url`).
    pub api_base_url: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct KdniaoAccountOut {
    pub ebusiness_id: String,
    /// `****` and the last four characters.
    pub app_key_masked: String,
    pub api_base_url: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// The decrypted account, for the gateway's KDNiao calls only.
#[derive(Clone)]
pub struct KdniaoCredentials {
    pub ebusiness_id: String,
    pub app_key: String,
    pub api_base_url: Option<String>,
}

impl std::fmt::Debug for KdniaoCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KdniaoCredentials")
            .field("ebusiness_id", &self.ebusiness_id)
            .finish_non_exhaustive()
    }
}

/// Ask KDNiao for an electronic waybill (电子面单) and ship with its tracking number.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct WaybillIn {
    /// KDNiao's shipper code: `SF`, `ZTO`, `YTO`, `STO`, `YD`, `JD`, `EMS`, …
    pub carrier_code: String,
    /// One of the shop's sender addresses; absent: the default one.
    pub sender_address_id: Option<Uuid>,
}

/// How to ship: `carrier` + `tracking_no`, or `waybill`.
#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct ShipOrderIn {
    pub carrier: Option<String>,
    pub tracking_no: Option<String>,
    pub waybill: Option<WaybillIn>,
}

/// A parsed [`ShipOrderIn`].
#[derive(Clone, Debug)]
pub enum ShipPlan {
    Manual(ShipmentIn),
    Waybill(WaybillIn),
}

/// What KDNiao needs to print a waybill for an order (see `prepare_waybill`).
#[derive(Clone, Debug)]
pub struct WaybillOrder {
    pub order_no: String,
    pub carrier_code: String,
    pub receiver: Address,
    pub sender: SenderAddress,
    /// Title and quantity of each line.
    pub goods: Vec<(String, i64)>,
}

/// The waybill KDNiao issued, to be stored with the shipment.
#[derive(Clone, Debug)]
pub struct NewWaybill {
    pub shipper_code: String,
    pub logistic_code: String,
    pub kdn_order_code: Option<String>,
    pub mark_destination: Option<String>,
    pub print_template: Option<String>,
}

/// An order's electronic waybill: the label to print.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WaybillLabel {
    pub order_no: String,
    pub shipper_code: String,
    /// The tracking number.
    pub logistic_code: String,
    pub kdn_order_code: Option<String>,
    /// 大头笔: the sorting code printed large on the label.
    pub mark_destination: Option<String>,
    /// The label as HTML (KDNiao's print template).
    pub print_template: Option<String>,
    pub sender: SenderAddress,
    pub created_at: DateTime<Utc>,
}

/// A shipped order, with its waybill when it was shipped with one.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ShippedOrder {
    #[serde(flatten)]
    pub order: Order,
    pub waybill: Option<WaybillLabel>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub struct RemarkIn {
    /// At most 200 characters; empty clears it.
    pub remark: String,
}

/// Where a customer's parcel is, to be looked up with the carrier.
#[derive(Clone, Debug)]
pub struct ParcelToTrack {
    pub order_no: String,
    pub carrier: String,
    pub tracking_no: String,
    pub consignee_mobile: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TrackingTrace {
    /// China time, as the carrier writes it (`yyyy-MM-dd HH:mm:ss`).
    pub time: String,
    pub station: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TrackingOut {
    pub order_no: String,
    pub carrier: String,
    pub tracking_no: String,
    /// KDNiao's state: `0` no trace yet, `1` collected, `2` in transit, `3` signed, `4` problem.
    pub state: String,
    pub state_text: String,
    /// Oldest first.
    pub traces: Vec<TrackingTrace>,
    /// When the carrier was asked (answers are cached for a few minutes).
    pub fetched_at: DateTime<Utc>,
}

/// KDNiao's state code in words.
pub fn tracking_state_text(state: &str) -> &'static str {
    match state {
        "0" => "暂无轨迹",
        "1" => "已揽收",
        "2" => "运输中",
        "3" => "已签收",
        "4" => "问题件",
        _ => "未知",
    }
}
