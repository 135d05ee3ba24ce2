use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Keyset pagination: items after `cursor` (an id), at most `limit` of them.
/// Stable under inserts because ids are time-ordered UUIDv7s.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
pub struct PageRequest {
    pub limit: Option<u64>,
    pub cursor: Option<Uuid>,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: u64 = 20;
    pub const MAX_LIMIT: u64 = 100;

    /// The limit clamped to `1..=MAX_LIMIT`.
    pub fn limit(&self) -> u64 {
        self.limit
            .unwrap_or(Self::DEFAULT_LIMIT)
            .clamp(1, Self::MAX_LIMIT)
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<Uuid>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched in id order: the extra row only tells
    /// that there is a next page.
    pub fn from_rows(mut rows: Vec<T>, limit: u64, id_of: impl Fn(&T) -> Uuid) -> Self {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(&id_of)
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_clamped() {
        assert_eq!(
            PageRequest {
                limit: Some(0),
                cursor: None
            }
            .limit(),
            1
        );
        assert_eq!(
            PageRequest {
                limit: Some(10_000),
                cursor: None
            }
            .limit(),
            100
        );
        assert_eq!(PageRequest::default().limit(), 20);
    }

    #[test]
    fn an_extra_row_means_there_is_a_next_page() {
        let ids: Vec<Uuid> = (0..3).map(|_| crate::new_id()).collect();
        let page = Page::from_rows(ids.clone(), 2, |id| *id);
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.next_cursor, Some(ids[1]));
        let last = Page::from_rows(ids[..2].to_vec(), 2, |id| *id);
        assert_eq!(last.next_cursor, None);
    }
}
