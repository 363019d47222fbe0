//! Where things are on the screen. Shared by `view` (to draw) and `update` (to map mouse
//! clicks to rows and to know how many rows a page has).

use ratatui::layout::Rect;

/// Smallest terminal the console draws in; below it a message asks for more room.
pub const MIN_WIDTH: u16 = 60;
/// See [`MIN_WIDTH`].
pub const MIN_HEIGHT: u16 = 12;

/// The screen regions of the main view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    /// Title line: "JDBCWriter", region, filters, search box.
    pub title: Rect,
    /// Connection-trouble banner, when shown.
    pub banner: Option<Rect>,
    /// The table, header line included.
    pub table: Rect,
    /// Status line: controller, connection, refresh, counts.
    pub status: Rect,
    /// Key hints line.
    pub keys: Rect,
}

impl Areas {
    /// How many writer rows fit in the table (its header takes one line).
    pub fn body_rows(&self) -> usize {
        usize::from(self.table.height.saturating_sub(1))
    }

    /// The position in the visible rows (0 = first row under the header) at screen `row`.
    pub fn body_row_at(&self, column: u16, row: u16) -> Option<usize> {
        let inside = column >= self.table.x
            && column < self.table.x + self.table.width
            && row > self.table.y
            && row < self.table.y + self.table.height;
        inside.then(|| usize::from(row - self.table.y - 1))
    }
}

/// Splits `area`; `None` when it is smaller than [`MIN_WIDTH`] x [`MIN_HEIGHT`].
pub fn layout(area: Rect, banner: bool) -> Option<Areas> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let line = |y: u16| Rect::new(area.x, y, area.width, 1);
    let title = line(area.y);
    let banner_rect = banner.then(|| line(area.y + 1));
    let table_top = area.y + 1 + u16::from(banner);
    let bottom = area.y + area.height;
    let keys = line(bottom - 1);
    let status = line(bottom - 2);
    let table = Rect::new(area.x, table_top, area.width, bottom - 2 - table_top);
    Some(Areas {
        title,
        banner: banner_rect,
        table,
        status,
        keys,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_tile_the_screen() {
        let Some(areas) = layout(Rect::new(0, 0, 80, 24), true) else {
            panic!("80x24 must fit");
        };
        assert_eq!(areas.title.y, 0);
        assert_eq!(areas.banner.map(|b| b.y), Some(1));
        assert_eq!(areas.table, Rect::new(0, 2, 80, 20));
        assert_eq!(areas.status.y, 22);
        assert_eq!(areas.keys.y, 23);
        assert_eq!(areas.body_rows(), 19);
        assert_eq!(areas.body_row_at(5, 3), Some(0));
        assert_eq!(areas.body_row_at(5, 2), None);
    }

    #[test]
    fn too_small_is_none() {
        assert!(layout(Rect::new(0, 0, 59, 24), false).is_none());
        assert!(layout(Rect::new(0, 0, 80, 11), false).is_none());
    }
}
