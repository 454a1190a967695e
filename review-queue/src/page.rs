//! page: the review page, rendered on the server as plain HTML (no front-end build, nothing
//! loaded from elsewhere). Every value that reaches the page goes through `esc`: ids come from
//! plugins (attacker-influenced), captured text and notes are free text. Pure: data in, HTML
//! out.

use crate::item::{Item, Status};
use crate::proposal::Proposal;
use crate::store::{Filter, RuleStats};
use std::fmt::Write as _;
use std::time::{Duration, UNIX_EPOCH};

/// HTML-escapes text for element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `2026-12-03T15:04:05Z`.
pub fn time(unix: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(unix)).to_string()
}

/// The time windows the filter offers (query value `hours`).
pub const WINDOWS: &[(&str, &str)] = &[
    ("", "any time"),
    ("1", "last hour"),
    ("24", "last 24 hours"),
    ("168", "last 7 days"),
    ("720", "last 30 days"),
];

/// What the list page's filter form shows (the raw query values, re-rendered).
#[derive(Debug, Clone, Default)]
pub struct FilterForm {
    pub filter: Filter,
    /// `hours` as given (one of `WINDOWS`).
    pub hours: String,
    /// The query string that reproduces this filter (for links back to the list).
    pub query: String,
}

/// Values for the filter menus.
#[derive(Debug, Clone, Default)]
pub struct Facets {
    pub rules: Vec<String>,
    pub teams: Vec<String>,
    pub apps: Vec<String>,
}

fn head(title: &str, csrf: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"csrf\" content=\"{}\"><title>{} - guardrail review</title>\
         <link rel=\"stylesheet\" href=\"/static/review.css\"></head><body>\
         <header><h1>guardrail review</h1><nav><a href=\"/\">Queue</a> <a href=\"/rules\">Rules &amp; proposals</a></nav>\
         <p class=\"keys\">keys: <kbd>j</kbd>/<kbd>k</kbd> move, <kbd>enter</kbd> open, \
         <kbd>a</kbd> confirm attack, <kbd>f</kbd> false positive, <kbd>u</kbd> back to list</p></header><main>",
        esc(csrf),
        esc(title)
    )
}

const FOOT: &str = "</main><script src=\"/static/review.js\"></script></body></html>\n";

fn select(name: &str, label: &str, current: &str, options: &[(String, String)]) -> String {
    let mut s = format!(
        "<label>{}<select name=\"{}\" id=\"f-{}\">",
        esc(label),
        esc(name),
        esc(name)
    );
    for (value, text) in options {
        let selected = if value == current { " selected" } else { "" };
        let _ = write!(
            s,
            "<option value=\"{}\"{selected}>{}</option>",
            esc(value),
            esc(text)
        );
    }
    s.push_str("</select></label>");
    s
}

fn any_of(values: &[String]) -> Vec<(String, String)> {
    std::iter::once((String::new(), "any".to_string()))
        .chain(values.iter().map(|v| (v.clone(), v.clone())))
        .collect()
}

fn who(item: &Item) -> String {
    let s = &item.submission;
    let part = |v: &Option<String>| v.as_deref().map(esc).unwrap_or_else(|| "-".into());
    format!("{} / {} / {}", part(&s.key_id), part(&s.team), part(&s.app))
}

fn status_badge(status: Status) -> String {
    format!(
        "<span class=\"status {}\">{}</span>",
        status.name(),
        esc(status.label())
    )
}

/// Short form of an evidence hash (the full one in the title).
fn short_hash(h: &str) -> String {
    format!(
        "<code title=\"{}\">{}</code>",
        esc(h),
        esc(h.get(..12).unwrap_or(h))
    )
}

/// The queue: filters, the items, and the hidden form the keys use to decide.
pub fn list(
    items: &[Item],
    form: &FilterForm,
    facets: &Facets,
    selected: Option<u64>,
    csrf: &str,
) -> String {
    let f = &form.filter;
    let mut s = head("Queue", csrf);
    s.push_str("<form class=\"filters\" method=\"get\" action=\"/\">");
    s.push_str(&select(
        "rule",
        "rule",
        f.rule.as_deref().unwrap_or(""),
        &any_of(&facets.rules),
    ));
    s.push_str(&select(
        "team",
        "team",
        f.team.as_deref().unwrap_or(""),
        &any_of(&facets.teams),
    ));
    s.push_str(&select(
        "app",
        "app",
        f.app.as_deref().unwrap_or(""),
        &any_of(&facets.apps),
    ));
    let statuses: Vec<(String, String)> = std::iter::once(("all".to_string(), "all".to_string()))
        .chain(
            Status::ALL
                .iter()
                .map(|st| (st.name().to_string(), st.label().to_string())),
        )
        .collect();
    s.push_str(&select(
        "status",
        "status",
        f.status.map_or("all", Status::name),
        &statuses,
    ));
    let windows: Vec<(String, String)> = WINDOWS
        .iter()
        .map(|(v, t)| (v.to_string(), t.to_string()))
        .collect();
    s.push_str(&select("hours", "time", &form.hours, &windows));
    s.push_str("<button type=\"submit\" id=\"apply\">Filter</button></form>");
    let _ = write!(
        s,
        "<p class=\"count\" id=\"count\">{} item(s)</p>",
        items.len()
    );
    s.push_str(
        "<table class=\"items\" id=\"items\"><thead><tr><th>id</th><th>time (UTC)</th><th>plugin</th>\
         <th>rules</th><th>score</th><th>key / team / app</th><th>segments</th><th>evidence</th>\
         <th>status</th></tr></thead><tbody>",
    );
    let back = if form.query.is_empty() {
        String::new()
    } else {
        format!("?{}", form.query)
    };
    for item in items {
        let sub = &item.submission;
        let sel = if selected == Some(item.id) {
            " class=\"sel\""
        } else {
            ""
        };
        let _ = write!(
            s,
            "<tr data-id=\"{id}\" data-href=\"/items/{id}{back}\"{sel}><td><a href=\"/items/{id}{back}\">{id}</a></td>\
             <td>{time}</td><td>{plugin}</td><td>{rules}</td><td>{score:.3}</td><td>{who}</td>\
             <td>{segments}</td><td>{evidence}</td><td>{status}</td></tr>",
            id = item.id,
            back = esc(&back),
            time = esc(&time(item.received_unix)),
            plugin = esc(&sub.plugin),
            rules = sub.rules.iter().map(|r| format!("<code>{}</code>", esc(r))).collect::<Vec<_>>().join(" "),
            score = sub.score,
            who = who(item),
            segments = sub.segments.iter().map(|p| format!("<code>{}</code>", esc(p))).collect::<Vec<_>>().join("<br>"),
            evidence = sub.evidence.iter().map(|h| short_hash(h)).collect::<Vec<_>>().join("<br>"),
            status = status_badge(item.status),
        );
    }
    s.push_str("</tbody></table>");
    if items.is_empty() {
        s.push_str("<p class=\"empty\">No items match this filter.</p>");
    }
    // The a/f keys post this form for the selected row (the script sets action and decision).
    let _ = write!(
        s,
        "<form id=\"quick\" method=\"post\" hidden><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <input type=\"hidden\" name=\"decision\" value=\"\"><input type=\"hidden\" name=\"back\" value=\"{}\">\
         <input type=\"hidden\" name=\"to\" value=\"list\"></form>",
        esc(csrf),
        esc(&form.query)
    );
    s.push_str(FOOT);
    s
}

/// One item: every field, its decision history and the decide form.
pub fn detail(
    item: &Item,
    history: &[(u64, Status, Option<String>)],
    neighbours: (Option<u64>, Option<u64>),
    query: &str,
    csrf: &str,
) -> String {
    let sub = &item.submission;
    let back = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    let mut s = head(&format!("Item {}", item.id), csrf);
    let link = |id: Option<u64>, rel: &str, text: &str| match id {
        Some(id) => format!(
            "<a id=\"{rel}\" href=\"/items/{id}{}\">{text}</a>",
            esc(&back)
        ),
        None => format!("<span class=\"off\">{text}</span>"),
    };
    let _ = write!(
        s,
        "<nav class=\"pager\"><a id=\"up\" href=\"/{}\">&larr; queue</a> {} {}</nav>",
        esc(&back),
        link(neighbours.0, "prev", "newer (k)"),
        link(neighbours.1, "next", "older (j)")
    );
    let _ = write!(
        s,
        "<h2 id=\"item\">Item {} {}</h2><table class=\"detail\">",
        item.id,
        status_badge(item.status)
    );
    let row = |k: &str, v: String| format!("<tr><th>{}</th><td>{v}</td></tr>", esc(k));
    let opt = |v: &Option<String>| v.as_deref().map(esc).unwrap_or_else(|| "-".into());
    s.push_str(&row("received (UTC)", esc(&time(item.received_unix))));
    s.push_str(&row(
        "request id",
        format!("<code>{}</code>", esc(&sub.request_id)),
    ));
    s.push_str(&row("plugin", esc(&sub.plugin)));
    s.push_str(&row("verdict", esc(&sub.verdict)));
    s.push_str(&row(
        "rules",
        sub.rules
            .iter()
            .map(|r| format!("<code>{}</code>", esc(r)))
            .collect::<Vec<_>>()
            .join(" "),
    ));
    s.push_str(&row("score", format!("{:.3}", sub.score)));
    s.push_str(&row("key id", opt(&sub.key_id)));
    s.push_str(&row("team", opt(&sub.team)));
    s.push_str(&row("app", opt(&sub.app)));
    if let Some(at) = item.decided_unix {
        s.push_str(&row("decided (UTC)", esc(&time(at))));
    }
    if let Some(note) = &item.note {
        s.push_str(&row(
            "note",
            format!("<span id=\"note-text\">{}</span>", esc(note)),
        ));
    }
    s.push_str("</table><h3>Segments</h3><table class=\"segments\"><thead><tr><th>path</th><th>evidence (SHA-256 of the text)</th></tr></thead><tbody>");
    for i in 0..sub.segments.len().max(sub.evidence.len()) {
        let _ = write!(
            s,
            "<tr><td><code>{}</code></td><td><code>{}</code></td></tr>",
            esc(sub.segments.get(i).map_or("-", String::as_str)),
            esc(sub.evidence.get(i).map_or("-", String::as_str))
        );
    }
    s.push_str("</tbody></table>");
    match &sub.text {
        Some(text) => {
            let _ = write!(s, "<h3>Captured text</h3><pre class=\"text\" id=\"text\">{}</pre>", esc(text));
        }
        None => s.push_str(
            "<p class=\"muted\">No prompt text stored (prompt capture is off): compare the evidence hash with your own logs.</p>",
        ),
    }
    let _ = write!(
        s,
        "<h3>Decide</h3><form class=\"decide\" method=\"post\" action=\"/items/{id}/decide\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\"><input type=\"hidden\" name=\"back\" value=\"{query}\">\
         <textarea name=\"note\" id=\"note\" rows=\"2\" maxlength=\"4096\" placeholder=\"note (optional)\"></textarea>\
         <button type=\"submit\" name=\"decision\" value=\"attack\" id=\"decide-attack\">Confirm attack (a)</button>\
         <button type=\"submit\" name=\"decision\" value=\"false_positive\" id=\"decide-fp\">False positive (f)</button></form>",
        id = item.id,
        csrf = esc(csrf),
        query = esc(query)
    );
    if !history.is_empty() {
        s.push_str("<h3>History</h3><ul class=\"history\">");
        for (at, status, note) in history {
            let _ = write!(
                s,
                "<li>{} {}{}</li>",
                esc(&time(*at)),
                status_badge(*status),
                note.as_deref()
                    .map(|n| format!(": {}", esc(n)))
                    .unwrap_or_default()
            );
        }
        s.push_str("</ul>");
    }
    s.push_str(FOOT);
    s
}

/// Per-rule summary and the proposed config changes.
pub fn rules(stats: &[RuleStats], proposals: &[Result<Proposal, String>], csrf: &str) -> String {
    let mut s = head("Rules", csrf);
    s.push_str(
        "<h2>Flags per rule</h2><table class=\"rules\" id=\"rules\"><thead><tr><th>plugin</th><th>rule</th>\
         <th>flagged</th><th>open</th><th>attack</th><th>false positive</th><th>false-positive rate</th></tr></thead><tbody>",
    );
    for r in stats {
        let rate = r
            .false_positive_rate()
            .map(|x| format!("{:.0}%", x * 100.0))
            .unwrap_or_else(|| "-".into());
        let link = format!(
            "/?{}",
            form_urlencoded::Serializer::new(String::new())
                .append_pair("rule", &r.rule)
                .append_pair("status", "all")
                .finish()
        );
        let _ = write!(
            s,
            "<tr data-rule=\"{rule}\"><td>{plugin}</td><td><a href=\"{link}\"><code>{rule}</code></a></td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td class=\"rate\">{rate}</td></tr>",
            r.flagged,
            r.open,
            r.attack,
            r.false_positive,
            rule = esc(&r.rule),
            plugin = esc(&r.plugin),
            link = esc(&link),
        );
    }
    s.push_str("</tbody></table><h2>Proposed config changes</h2>");
    s.push_str(
        "<p class=\"muted\">Proposed from the decisions above; nothing is applied. Review the diff, \
         apply it to the plugin's config and roll it out as usual.</p>",
    );
    if proposals.is_empty() {
        s.push_str("<p class=\"muted\">No plugin config given (<code>--plugin-config PLUGIN=FILE</code>).</p>");
    }
    for p in proposals {
        match p {
            Err(e) => {
                let _ = write!(s, "<p class=\"error\">{}</p>", esc(e));
            }
            Ok(p) => {
                let _ = write!(
                    s,
                    "<section class=\"proposal\" data-plugin=\"{0}\"><h3>{0}</h3>",
                    esc(&p.plugin)
                );
                if p.changes.is_empty() {
                    s.push_str(
                        "<p class=\"muted\">No change supported by the decisions so far.</p>",
                    );
                } else {
                    s.push_str("<ul class=\"changes\">");
                    for c in &p.changes {
                        let _ = write!(
                            s,
                            "<li><strong>{}</strong>: {}",
                            esc(&c.change.describe()),
                            esc(&c.reason)
                        );
                        if let Some(e) = &c.refused {
                            let _ = write!(
                                s,
                                " <span class=\"refused\">not expressible: the plugin refuses it ({})</span>",
                                esc(e)
                            );
                        }
                        s.push_str("</li>");
                    }
                    s.push_str("</ul>");
                }
                if !p.diff.is_empty() {
                    s.push_str("<pre class=\"diff\" id=\"diff\">");
                    for line in p.diff.lines() {
                        let class = match line.as_bytes().first() {
                            Some(b'+') if !line.starts_with("+++") => "add",
                            Some(b'-') if !line.starts_with("---") => "del",
                            Some(b'@') => "hunk",
                            _ => "ctx",
                        };
                        let _ = writeln!(s, "<span class=\"{class}\">{}</span>", esc(line));
                    }
                    s.push_str("</pre>");
                }
                s.push_str("</section>");
            }
        }
    }
    s.push_str(FOOT);
    s
}

/// A page for a bad request or a missing item.
pub fn message(title: &str, text: &str, csrf: &str) -> String {
    let mut s = head(title, csrf);
    let _ = write!(
        s,
        "<h2>{}</h2><p>{}</p><p><a href=\"/\">back to the queue</a></p>",
        esc(title),
        esc(text)
    );
    s.push_str(FOOT);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::Submission;

    fn hostile_item() -> Item {
        Item {
            id: 7,
            received_unix: 1_700_000_000,
            status: Status::Open,
            decided_unix: None,
            note: Some("<img src=x onerror=alert(1)>".into()),
            submission: Submission {
                request_id: "r\"><script>alert(1)</script>".into(),
                plugin: "<b>p</b>".into(),
                verdict: "flag".into(),
                rules: vec!["r'<".into()],
                score: 0.5,
                segments: vec!["messages[0].content\"".into()],
                key_id: Some("<k>".into()),
                team: Some("&t".into()),
                app: Some("'a'".into()),
                evidence: vec!["<e>".into()],
                text: Some("</pre><script>alert(2)</script>".into()),
            },
        }
    }

    fn assert_no_markup_from_data(html: &str) {
        for bad in [
            "<script>alert",
            "<img",
            "<b>p",
            "<k>",
            "<e>",
            "r'<",
            "'a' ",
            "&t",
        ] {
            assert!(!html.contains(bad), "{bad} reached the page unescaped");
        }
    }

    #[test]
    fn every_field_is_escaped() {
        let item = hostile_item();
        let csrf = "tok\"en";
        let html = detail(
            &item,
            &[(5, Status::Attack, Some("<i>n".into()))],
            (Some(1), None),
            "rule=%3C",
            csrf,
        );
        assert_no_markup_from_data(&html);
        assert!(html.contains("&lt;/pre&gt;&lt;script&gt;alert(2)&lt;/script&gt;"));
        assert!(!html.contains("<i>n"));
        let form = FilterForm {
            filter: Filter {
                rule: Some("<x>".into()),
                ..Filter::default()
            },
            hours: "\"".into(),
            query: "a=\"".into(),
        };
        let facets = Facets {
            rules: vec!["<x>".into()],
            teams: vec!["\"t".into()],
            apps: vec![],
        };
        let html = list(std::slice::from_ref(&item), &form, &facets, Some(7), csrf);
        assert_no_markup_from_data(&html);
        assert!(!html.contains("<x>") && !html.contains("tok\"en"));
        let stats = [RuleStats {
            plugin: "<p>".into(),
            rule: "<r>".into(),
            app: None,
            flagged: 1,
            open: 1,
            attack: 0,
            false_positive: 0,
        }];
        let proposal = Proposal {
            plugin: "<p>".into(),
            changes: vec![],
            diff: "+<script>\n".into(),
            config_after: String::new(),
        };
        let html = rules(&stats, &[Ok(proposal), Err("<err>".into())], csrf);
        assert!(
            !html.contains("<p>")
                && !html.contains("<r>")
                && !html.contains("+<script>")
                && !html.contains("<err>")
        );
        assert!(!message("<t>", "<m>", csrf).contains("<m>"));
    }

    #[test]
    fn the_list_shows_each_column() {
        let mut item = hostile_item();
        item.submission = Submission {
            request_id: "req-1".into(),
            plugin: "injection-guard".into(),
            verdict: "flag".into(),
            rules: vec!["inj.override".into()],
            score: 0.82,
            segments: vec!["messages[1].content".into()],
            key_id: Some("k1".into()),
            team: Some("payments".into()),
            app: Some("chat".into()),
            evidence: vec!["ab".repeat(32)],
            text: None,
        };
        let html = list(
            &[item],
            &FilterForm::default(),
            &Facets::default(),
            None,
            "t",
        );
        for want in [
            "2023-11-14T22:13:20Z",
            "injection-guard",
            "inj.override",
            "0.820",
            "k1 / payments / chat",
            "messages[1].content",
            "abababababab",
            "open",
        ] {
            assert!(html.contains(want), "{want} missing");
        }
    }
}
