//! Lists come a page at a time: where a page is, for every stage's lists.

use serde::Serialize;
use utoipa::ToSchema;

/// Where a page of a list is: its number (from 1), how many pages, how many rows in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Pages {
    pub page: u32,
    pub pages: u32,
    pub total: i64,
}

impl Pages {
    pub fn of(page: u32, total: i64, per_page: i64) -> Pages {
        let pages = u32::try_from((total + per_page - 1) / per_page.max(1))
            .unwrap_or(u32::MAX)
            .max(1);
        Pages {
            page: page.clamp(1, pages),
            pages,
            total,
        }
    }

    pub fn previous(&self) -> Option<u32> {
        (self.page > 1).then(|| self.page - 1)
    }

    pub fn next(&self) -> Option<u32> {
        (self.page < self.pages).then(|| self.page + 1)
    }
}
