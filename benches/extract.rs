//! Extraction throughput and latency on one core.
//!
//! `cargo bench --bench extract` reads the bulk corpus in `../shared/corpus/bulk/`
//! (override with DEMARCHE_SHARED), parses every article first, then times
//! the extraction core alone, article by article, on the calling thread:
//! MB/s, articles/s, p50 / p99 / max time per article. It then times
//! articles built to 10 KB, 100 KB and 1 MB from the corpus, and pathological
//! inputs (one 1 MB sentence, 10,000 quotation marks, mixed scripts), to
//! show that time grows linearly with size. Set DEMARCHE_BENCH_QUICK=1 for
//! a short run. Figures are recorded in docs/PERFORMANCE.md.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use demarche::article::{Article, Lang, Limits};
use demarche::config::Config;
use demarche::extract::Extractor;

fn shared() -> PathBuf {
    std::env::var_os("DEMARCHE_SHARED").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("../shared"))
}

fn article(id: &str, lang: Lang, body: String) -> Article {
    Article {
        id: id.into(),
        body,
        title: None,
        url: None,
        source: None,
        lang,
        published_at: Some("2016-05-03".into()),
        published_day: chrono::NaiveDate::from_ymd_opt(2016, 5, 3),
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Times `f` over `reps` runs and returns the best (least disturbed) run.
fn best_of(reps: usize, mut f: impl FnMut()) -> Duration {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let quick = std::env::var_os("DEMARCHE_BENCH_QUICK").is_some();
    let cfg = Config::load_with_env(None, Vec::new()).expect("default config");
    let t0 = Instant::now();
    let res = demarche::resources_dir::load_source(&cfg.data_source).expect("data files");
    let extractor = Extractor::new(res);
    println!("resources loaded in {:.0} ms", t0.elapsed().as_secs_f64() * 1e3);

    let bulk = shared().join("corpus/bulk");
    let mut articles = Vec::new();
    match std::fs::read_dir(&bulk) {
        Ok(rd) => {
            let mut files: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            files.sort();
            for f in files.iter().filter(|f| f.extension().is_some_and(|x| x == "jsonl")) {
                let text = std::fs::read_to_string(f).expect("bulk file");
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    if let Ok(a) = Article::parse(line.as_bytes(), &Limits::default()) {
                        articles.push(a);
                    }
                }
            }
        }
        Err(_) => println!("skipping the corpus run: {} not found (set DEMARCHE_SHARED)", bulk.display()),
    }
    if quick {
        articles.truncate(1500);
    }

    if !articles.is_empty() {
        let bytes: usize = articles.iter().map(|a| a.body.len() + a.title.as_ref().map_or(0, |t| t.len())).sum();
        // Warm-up: caches and allocator.
        for a in articles.iter().take(200) {
            black_box(extractor.extract(a));
        }
        let mut times = Vec::with_capacity(articles.len());
        let mut events = 0usize;
        let start = Instant::now();
        for a in &articles {
            let t = Instant::now();
            let ev = extractor.extract(a);
            times.push(t.elapsed());
            events += ev.len();
            black_box(ev);
        }
        let total = start.elapsed().as_secs_f64();
        times.sort();
        println!(
            "corpus: {} articles, {:.1} MB, {} events in {:.2} s on one core: {:.1} MB/s, {:.0} articles/s",
            articles.len(),
            bytes as f64 / 1e6,
            events,
            total,
            bytes as f64 / 1e6 / total,
            articles.len() as f64 / total
        );
        println!(
            "per article: p50 {:.0} µs, p99 {:.0} µs, max {:.1} ms",
            pct(&times, 0.50).as_secs_f64() * 1e6,
            pct(&times, 0.99).as_secs_f64() * 1e6,
            times.last().unwrap().as_secs_f64() * 1e3
        );
        for lang in [Lang::Ar, Lang::En] {
            let sel: Vec<&Article> = articles.iter().filter(|a| a.lang == lang).collect();
            let b: usize = sel.iter().map(|a| a.body.len()).sum();
            let d = best_of(1, || {
                for a in &sel {
                    black_box(extractor.extract(a));
                }
            });
            println!("  {}: {} articles, {:.1} MB/s", lang.as_str(), sel.len(), b as f64 / 1e6 / d.as_secs_f64());
        }
    }

    // Linear growth: the same prose at 10 KB, 100 KB and 1 MB.
    let prose: String = if articles.is_empty() {
        "Russian Foreign Minister Sergei Lavrov said on Monday that a ceasefire in Aleppo could be announced soon. \
         \"We hope to resume talks,\" he added. قال وزير الخارجية الروسي سيرغي لافروف اليوم الثلاثاء إن وقف إطلاق النار قريب.\n"
            .repeat(20)
    } else {
        articles.iter().take(400).map(|a| a.body.as_str()).collect::<Vec<_>>().join("\n")
    };
    println!("size scaling (best of 3):");
    for size in [10_000usize, 100_000, 1_000_000] {
        let mut body = String::with_capacity(size + 1000);
        while body.len() < size {
            body.push_str(&prose);
            body.push('\n');
        }
        let cut = (0..=size.min(body.len())).rev().find(|&i| body.is_char_boundary(i)).unwrap_or(0);
        body.truncate(cut);
        let a = article("scale", Lang::detect("", &body), body);
        let d = best_of(3, || {
            black_box(extractor.extract(&a));
        });
        println!(
            "  {:>9} bytes: {:>8.2} ms  ({:.1} MB/s)",
            size,
            d.as_secs_f64() * 1e3,
            size as f64 / 1e6 / d.as_secs_f64()
        );
    }

    // Pathological inputs must stay linear.
    println!("pathological inputs (best of 3):");
    // A unit repeated to the size: what it is made of decides what it stresses.
    let cases: [(&str, &str); 4] = [
        ("one sentence, no stop", "said that the minister Lavrov قال إن "),
        ("quotation marks", "\" “ « „ "),
        ("mixed scripts, no spaces", "abcقالdef١٢٣\u{064B}"),
        ("unclosed quotes and commas", "“Lavrov, said, “that, "),
    ];
    for (name, unit) in cases {
        let mut line = format!("  {name:<28}");
        for size in [100_000usize, 1_000_000] {
            let a = article("path", Lang::En, unit.repeat(size / unit.len()));
            let d = best_of(3, || {
                black_box(extractor.extract(&a));
            });
            line.push_str(&format!("  {:>5} KB: {:>8.2} ms", size / 1000, d.as_secs_f64() * 1e3));
        }
        println!("{line}");
    }
}
