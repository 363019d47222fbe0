//! PLACEHOLDER until the real view lands (branch `tui-view`): draws the title and the names
//! of the visible rows so the runtime can be tried. Replaced by the lead's `view.rs` at merge.

use ratatui::Frame;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::state::State;

/// Draws `state` (placeholder).
pub fn view(state: &State, frame: &mut Frame) {
    let area = frame.area();
    let mut lines = vec![Line::from(format!(
        "JDBCWriter  {} / {}  search: {}  popup: {:?}",
        state.table.rows.len(),
        state.fleet.writers.len(),
        state.search.input.value,
        state.popup.as_ref().map(std::mem::discriminant)
    ))];
    let height = usize::from(area.height.saturating_sub(1));
    for (pos, &row) in state
        .table
        .rows
        .iter()
        .enumerate()
        .skip(state.table.offset)
        .take(height)
    {
        if let Some(w) = state.fleet.writers.get(row) {
            let mark = if pos == state.table.selected {
                ">"
            } else {
                " "
            };
            lines.push(Line::from(format!("{mark} {} {}", w.name, w.status)));
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}
