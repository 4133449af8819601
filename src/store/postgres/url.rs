//! `postgres://` locations: telling them from paths, taking out our own `schema` parameter,
//! and writing them without secrets for messages.

use std::str::FromStr;

/// True when `location` names a PostgreSQL database rather than a sled directory.
pub fn is_postgres(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// A parsed location: the connection settings and the schema to keep the tables in.
#[derive(Debug)]
pub struct Location {
    /// Connection settings for tokio-postgres.
    pub config: tokio_postgres::Config,
    /// `?schema=NAME`; `None`: the connection's default search path (`public`).
    pub schema: Option<String>,
    /// The URL with any password replaced, for messages.
    pub redacted: String,
}

/// Parses `url`; the error says what is wrong without repeating a password.
pub fn parse(url: &str) -> Result<Location, String> {
    let redacted = redact(url);
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut schema = None;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("schema", name)) => schema = Some(check_schema(name)?),
            _ => rest.push(pair),
        }
    }
    let stripped = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    let config = tokio_postgres::Config::from_str(&stripped).map_err(|e| {
        format!(
            "{redacted} is not a PostgreSQL URL ({e}); expected postgres://USER@HOST:PORT/DATABASE"
        )
    })?;
    Ok(Location {
        config,
        schema,
        redacted,
    })
}

/// A schema name we can put in SQL unquoted: letters, digits, underscores.
fn check_schema(name: &str) -> Result<String, String> {
    let valid = !name.is_empty()
        && name.len() <= 63
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(name.to_ascii_lowercase())
    } else {
        Err(format!(
            "schema {name:?} is not usable: give letters, digits and underscores, e.g. ?schema=claimcheck"
        ))
    }
}

/// `url` with the password (in the user part or a `password=` parameter) replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{name}:***@{host}"),
            None => format!("{user}@{host}"),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                        format!("{key}=***")
                    }
                    _ => pair.to_string(),
                })
                .collect();
            format!("{path}?{}", pairs.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}://{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://ann:s3cret@db.example:5432/cc?password=x&schema=a"),
            "postgres://ann:***@db.example:5432/cc?password=***&schema=a"
        );
        assert_eq!(redact("postgres://ann@h/db"), "postgres://ann@h/db");
        let err = parse("postgres://ann:s3cret@h:notaport/db").unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn the_schema_parameter_is_ours_and_checked() {
        let loc = parse("postgres://u@h/db?schema=Cluster_1&connect_timeout=5").unwrap();
        assert_eq!(loc.schema.as_deref(), Some("cluster_1"));
        assert!(parse("postgres://u@h/db?schema=a;drop").is_err());
        assert!(is_postgres("postgresql://h/db") && !is_postgres("/var/lib/cc"));
    }
}
