pub mod address;
pub mod cart_line;
pub mod freight_rule;
pub mod order;
pub mod order_line;
pub mod transition;
