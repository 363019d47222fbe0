//! The fleet health view: drawn (fixed clock, UTC) in colour and mono at 80x24 and 160x48, and
//! driven through `update`: `H` and `:health` open it, Enter on a band filters the table to
//! those writers, the status bar names the filter, and Esc clears it.

#[path = "support/screen.rs"]
mod screen;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jwctl::domain::{LatencyBand, WriterStatus};
use jwctl::tui::action::Action;
use jwctl::tui::health::HealthItem;
use jwctl::tui::memory::ViewMemory;
use jwctl::tui::state::{Mode, Popup, State};
use jwctl::tui::update::update;
use screen::*;

fn press(s: &mut State, code: KeyCode) {
    update(s, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn typed(s: &mut State, text: &str) {
    for c in text.chars() {
        press(s, KeyCode::Char(c));
    }
}

#[test]
fn the_health_view_in_colour_and_mono_at_80x24_and_160x48() {
    for size in [(80, 24), (160, 48)] {
        for mono in [false, true] {
            let mut s = state(300, 3, size);
            s.settings.mono = mono;
            press(&mut s, KeyCode::Char('H'));
            press(&mut s, KeyCode::Down);
            let text = screen(&s);
            let what = format!("{}x{} mono={mono}", size.0, size.1);
            assert!(text.contains("Fleet health"), "{what}: {text}");
            assert!(text.contains("cn-beijing  100 writers"), "{what}: {text}");
            assert!(text.contains("≥ 60s"), "{what}: {text}");
            assert!(text.contains("× failed"), "{what}: {text}");
            let name = snapshot_name("health_view", size, mono);
            insta::assert_snapshot!(name, styled_screen(&s));
        }
    }
}

#[test]
fn enter_on_a_band_filters_the_table_to_it_and_esc_clears_it() {
    let mut s = state(300, 3, (160, 48));
    typed(&mut s, ":health");
    press(&mut s, KeyCode::Enter);
    assert_eq!(s.mode(), Mode::Health);
    // Down to cn-beijing (after All regions), then right to its last item: ≥ 60s.
    press(&mut s, KeyCode::Down);
    for _ in 0..12 {
        press(&mut s, KeyCode::Right);
    }
    let Some(Popup::Health(view)) = &s.popup else {
        panic!("the health view is open");
    };
    let row = &view.rows[view.row];
    assert_eq!(row.region.as_deref(), Some("cn-beijing"));
    assert_eq!(
        row.items()[view.item],
        HealthItem::Band(LatencyBand::From60s)
    );
    let counted = row.tally.bands[LatencyBand::From60s.index()] as usize;
    press(&mut s, KeyCode::Enter);
    assert!(s.popup.is_none(), "the view closes");
    // A filter for now: the view remembered for the next start is not narrowed by it.
    let remembered = ViewMemory::of(&s);
    assert!(remembered.regions.is_empty(), "{remembered:?}");
    assert_eq!(remembered.statuses.len(), WriterStatus::ALL.len());

    let shown: Vec<_> = s.table.rows.iter().map(|&r| &s.fleet.writers[r]).collect();
    assert_eq!(
        shown.len(),
        counted,
        "the table shows what the view counted"
    );
    assert!(counted > 0);
    for w in &shown {
        assert_eq!(w.region.as_str(), "cn-beijing");
        assert_eq!(w.status, WriterStatus::Running);
        assert!(w.latency_ms.is_some_and(|ms| ms >= 60_000), "{w:?}");
    }
    let text = screen(&s);
    assert!(
        text.contains("filter: running in cn-beijing, latency ≥ 60s (Esc clears)"),
        "{text}"
    );
    assert!(text.contains("Latency: ≥ 60s"), "{text}");

    press(&mut s, KeyCode::Esc);
    assert_eq!(s.table.rows.len(), 300);
    assert!(!screen(&s).contains("filter:"));
    // Esc again with nothing to clear changes nothing.
    press(&mut s, KeyCode::Esc);
    assert_eq!(s.table.rows.len(), 300);
}

#[test]
fn enter_on_a_region_or_a_status_filters_to_it() {
    let mut s = state(300, 3, (120, 40));
    press(&mut s, KeyCode::Char('H'));
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Down);
    press(&mut s, KeyCode::Enter);
    let regions: Vec<&str> = s
        .table
        .rows
        .iter()
        .map(|&r| s.fleet.writers[r].region.as_str())
        .collect();
    assert_eq!(regions.len(), 100);
    assert!(regions.iter().all(|r| *r == "cn-hangzhou"), "{regions:?}");

    press(&mut s, KeyCode::Esc);
    press(&mut s, KeyCode::Char('H'));
    // All regions, then its second item: the first status with writers (running).
    press(&mut s, KeyCode::Right);
    press(&mut s, KeyCode::Enter);
    assert!(
        s.table
            .rows
            .iter()
            .all(|&r| s.fleet.writers[r].status == WriterStatus::Running)
    );
    assert!(screen(&s).contains("filter: running in all regions"));
}
