//! Route templates matched against request paths, for services without a router that reports
//! the template it matched (plain tower or hyper).

use std::fmt;

/// A fixed set of route templates, the `handler` values of
/// [`HttpMetricsLayer::with_routes`](super::HttpMetricsLayer::with_routes). A request path takes
/// the template it matches, so the label has at most one value per template plus `unmatched`,
/// whatever paths clients send.
///
/// Template syntax, as routers write it:
/// - a literal segment (`v1`, `destinations`) matches itself, byte for byte;
/// - `:id` or `{id}` matches any one non-empty segment;
/// - `*rest` or `{*rest}`, last only, matches one or more remaining segments.
///
/// The label is the template with parameters written `:id` and `*rest`, as client_golang users
/// write them. When several templates match, the more specific wins, segment by segment from
/// the left: a literal before a parameter before a rest. Two templates that match the same
/// paths (`/a/:id` and `/a/{name}`) are an error.
///
/// ```
/// use metrics_http::middleware::Routes;
///
/// let routes = Routes::new(["/v1/grants", "/v1/destinations/{id}", "/v1/destinations/new", "/static/*file"]).unwrap();
/// assert_eq!(routes.find("/v1/destinations/42"), Some("/v1/destinations/:id"));
/// assert_eq!(routes.find("/v1/destinations/new"), Some("/v1/destinations/new"));
/// assert_eq!(routes.find("/static/css/site.css"), Some("/static/*file"));
/// assert_eq!(routes.find("/v1/grants/"), None);
/// assert_eq!(routes.find("/wp-login.php"), None);
///
/// let e = Routes::new(["/a/:id", "/a/{name}"]).unwrap_err();
/// assert_eq!(e.to_string(), "route `/a/{name}` matches the same paths as `/a/:id`");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Routes {
    routes: Vec<Route>,
}

#[derive(Debug, Clone)]
struct Route {
    label: String,
    template: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param,
    Rest,
}

impl Segment {
    /// Higher is more specific.
    fn rank(&self) -> u8 {
        match self {
            Segment::Literal(_) => 2,
            Segment::Param => 1,
            Segment::Rest => 0,
        }
    }
}

/// A route template [`Routes::new`] refuses, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRoute {
    template: String,
    problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    NoLeadingSlash,
    EmptyName,
    BadName,
    RestNotLast,
    Braces,
    SameAs(String),
}

impl fmt::Display for InvalidRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.template;
        match &self.problem {
            Problem::NoLeadingSlash => write!(f, "route `{t}` does not start with `/`"),
            Problem::EmptyName => write!(f, "route `{t}` has a parameter without a name (write `:id` or `{{id}}`)"),
            Problem::BadName => write!(f, "route `{t}` has a parameter name that is not letters, digits and `_`"),
            Problem::RestNotLast => write!(f, "route `{t}` has a `*rest` parameter before its last segment"),
            Problem::Braces => write!(f, "route `{t}` has a `{{` or `}}` outside a whole-segment parameter"),
            Problem::SameAs(other) => write!(f, "route `{t}` matches the same paths as `{other}`"),
        }
    }
}

impl std::error::Error for InvalidRoute {}

fn parse(template: &str) -> Result<Route, Problem> {
    let rest = template.strip_prefix('/').ok_or(Problem::NoLeadingSlash)?;
    let parts: Vec<&str> = rest.split('/').collect();
    let mut segments = Vec::with_capacity(parts.len());
    let mut label = String::with_capacity(template.len());
    for (i, part) in parts.iter().enumerate() {
        let inner = part.strip_prefix('{').and_then(|p| p.strip_suffix('}'));
        let (segment, name) = match (inner, part.strip_prefix(':'), part.strip_prefix('*')) {
            (Some(p), _, _) => match p.strip_prefix('*') {
                Some(n) => (Segment::Rest, Some(n)),
                None => (Segment::Param, Some(p)),
            },
            (None, Some(n), _) => (Segment::Param, Some(n)),
            (None, None, Some(n)) => (Segment::Rest, Some(n)),
            (None, None, None) => {
                if part.contains(['{', '}']) {
                    return Err(Problem::Braces);
                }
                (Segment::Literal((*part).to_owned()), None)
            }
        };
        label.push('/');
        if let Some(n) = name {
            if n.is_empty() {
                return Err(Problem::EmptyName);
            }
            if !n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(Problem::BadName);
            }
            if segment == Segment::Rest && i + 1 != parts.len() {
                return Err(Problem::RestNotLast);
            }
            label.push(if segment == Segment::Rest { '*' } else { ':' });
            label.push_str(n);
        } else {
            label.push_str(part);
        }
        segments.push(segment);
    }
    Ok(Route { label, template: template.to_owned(), segments })
}

impl Route {
    fn matches(&self, path: &str) -> bool {
        let Some(rest) = path.strip_prefix('/') else {
            return false;
        };
        let mut parts = rest.split('/');
        for segment in &self.segments {
            match segment {
                Segment::Rest => return parts.next().is_some_and(|p| !p.is_empty()),
                Segment::Param => {
                    if parts.next().is_none_or(str::is_empty) {
                        return false;
                    }
                }
                Segment::Literal(l) => {
                    if parts.next() != Some(l.as_str()) {
                        return false;
                    }
                }
            }
        }
        parts.next().is_none()
    }

    fn same_paths(&self, other: &Route) -> bool {
        self.segments == other.segments
    }
}

impl Routes {
    /// The routes of `templates`; the first bad or conflicting template is an error naming it.
    pub fn new<I, S>(templates: I) -> Result<Self, InvalidRoute>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut routes: Vec<Route> = Vec::new();
        for t in templates {
            let t = t.as_ref();
            let err = |problem| InvalidRoute { template: t.to_owned(), problem };
            let route = parse(t).map_err(err)?;
            if let Some(other) = routes.iter().find(|r| r.same_paths(&route)) {
                return Err(err(Problem::SameAs(other.template.clone())));
            }
            routes.push(route);
        }
        Ok(Routes { routes })
    }

    /// The label of the most specific template matching `path` (without its query).
    pub fn find(&self, path: &str) -> Option<&str> {
        self.routes
            .iter()
            .filter(|r| r.matches(path))
            .max_by(|a, b| {
                let ra = a.segments.iter().map(Segment::rank);
                ra.cmp(b.segments.iter().map(Segment::rank))
            })
            .map(|r| r.label.as_str())
    }

    /// How many templates there are.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether there are none (every request is then `unmatched`).
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let routes = Routes::new([
            "/",
            "/v1/grants",
            "/v1/destinations/:id",
            "/v1/destinations/new",
            "/v1/destinations/{id}/keys/{key}",
            "/v1/:version/health",
            "/files/{*path}",
            "/files/readme",
            "/users/:id/*rest",
            "/v1/op:run",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        // (path, expected label)
        let cases: &[(&str, Option<&str>)] = &[
            ("/", Some("/")),
            ("", None),
            ("/v1/grants", Some("/v1/grants")),
            ("/v1/grants/", None),
            ("//v1/grants", None),
            ("/V1/grants", None),
            ("/v1/destinations/42", Some("/v1/destinations/:id")),
            ("/v1/destinations/new", Some("/v1/destinations/new")),
            ("/v1/destinations/", None),
            ("/v1/destinations", None),
            ("/v1/destinations/42/keys/a", Some("/v1/destinations/:id/keys/:key")),
            ("/v1/destinations/42/keys/", None),
            ("/v1/destinations/42/keys/a/b", None),
            ("/v1/grants/health", Some("/v1/:version/health")),
            ("/files/a", Some("/files/*path")),
            ("/files/a/b/c", Some("/files/*path")),
            ("/files/readme", Some("/files/readme")),
            ("/files/", None),
            ("/files", None),
            ("/users/7/a/b", Some("/users/:id/*rest")),
            ("/users/7", None),
            ("/v1/op:run", Some("/v1/op:run")),
            ("/v1/op%3Arun", None),
            ("/wp-login.php", None),
        ];
        for (path, want) in cases {
            assert_eq!(routes.find(path), *want, "{path:?}");
        }
    }

    #[test]
    fn specificity_not_order() {
        let a = Routes::new(["/x/:id", "/x/new"]).unwrap_or_else(|e| panic!("{e}"));
        let b = Routes::new(["/x/new", "/x/:id"]).unwrap_or_else(|e| panic!("{e}"));
        for r in [&a, &b] {
            assert_eq!(r.find("/x/new"), Some("/x/new"));
            assert_eq!(r.find("/x/1"), Some("/x/:id"));
        }
        let c = Routes::new(["/:a/b", "/a/:b"]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.find("/a/b"), Some("/a/:b"), "the leftmost literal decides");
    }

    #[test]
    fn errors() {
        let cases: &[(&str, &str)] = &[
            ("v1/x", "route `v1/x` does not start with `/`"),
            ("/a/:", "route `/a/:` has a parameter without a name (write `:id` or `{id}`)"),
            ("/a/{}", "route `/a/{}` has a parameter without a name (write `:id` or `{id}`)"),
            ("/a/{*}", "route `/a/{*}` has a parameter without a name (write `:id` or `{id}`)"),
            ("/a/:i-d", "route `/a/:i-d` has a parameter name that is not letters, digits and `_`"),
            ("/a/*rest/b", "route `/a/*rest/b` has a `*rest` parameter before its last segment"),
            ("/a/x{id}", "route `/a/x{id}` has a `{` or `}` outside a whole-segment parameter"),
        ];
        for (t, want) in cases {
            match Routes::new([*t]) {
                Ok(_) => panic!("{t} was accepted"),
                Err(e) => assert_eq!(e.to_string(), *want),
            }
        }
        let e = Routes::new(["/a/*x", "/b", "/a/{*y}"]).err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("route `/a/{*y}` matches the same paths as `/a/*x`"));
        assert!(Routes::new(["/a/:id", "/a/:id/b"]).is_ok());
    }
}
