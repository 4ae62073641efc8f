//! A Prometheus text exposition, parsed: each sample's value by its name and labels.

use std::collections::BTreeMap;

/// One series: its metric name and its labels, sorted by name.
pub type Series = (String, Vec<(String, String)>);

#[derive(Debug)]
pub struct Scrape {
    pub samples: BTreeMap<Series, f64>,
    pub text: String,
}

impl Scrape {
    /// Parses the text format (Prometheus 0.0.4); panics on a line it cannot read, so a
    /// malformed exposition fails the test that scraped it.
    pub fn parse(text: &str) -> Scrape {
        let mut samples = BTreeMap::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (series, value) = line
                .rsplit_once(' ')
                .unwrap_or_else(|| panic!("no value: {line:?}"));
            let value: f64 = value
                .parse()
                .unwrap_or_else(|_| panic!("not a number: {line:?}"));
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => {
                    let inner = rest
                        .strip_suffix('}')
                        .unwrap_or_else(|| panic!("unclosed labels: {line:?}"));
                    (name, labels(inner, line))
                }
                None => (series, Vec::new()),
            };
            let previous = samples.insert((name.to_owned(), labels), value);
            assert!(previous.is_none(), "a series twice: {line:?}");
        }
        Scrape {
            samples,
            text: text.to_owned(),
        }
    }

    /// The value of the series `name{labels}` (labels in any order); 0 when absent.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let mut labels: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        labels.sort();
        self.samples
            .get(&(name.to_owned(), labels))
            .copied()
            .unwrap_or(0.0)
    }

    /// Every value the label `label` takes in the series of `name`.
    pub fn label_values(&self, name: &str, label: &str) -> Vec<String> {
        self.samples
            .keys()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, labels)| labels.iter().filter(|(k, _)| k == label))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The metric families: sample names without the `_bucket`, `_sum`, `_count` of
    /// histograms.
    pub fn families(&self) -> std::collections::BTreeSet<String> {
        self.text
            .lines()
            .filter_map(|line| line.strip_prefix("# TYPE "))
            .filter_map(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
            .collect()
    }
}

/// `a="x",b="y"` (values without escapes: ours never have any).
fn labels(inner: &str, line: &str) -> Vec<(String, String)> {
    let mut labels: Vec<(String, String)> = inner
        .split("\",")
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair
                .split_once("=\"")
                .unwrap_or_else(|| panic!("bad label {pair:?}: {line:?}"));
            (key.to_owned(), value.trim_end_matches('"').to_owned())
        })
        .collect();
    labels.sort();
    labels
}
