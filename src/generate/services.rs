//! Service containers on the test jobs, and the variables that point the tests at them.
//!
//! Each service is the official image at a fixed tag (`postgres:17`; a digest pin is stronger
//! and left to the team's `image:`), published on its usual port of the runner, with a health
//! check: GitHub waits for the container to be healthy before the first step
//! (<https://docs.github.com/en/actions/use-cases-and-examples/using-containerized-services/creating-postgresql-service-containers>).
//! The tests reach it on `localhost` (MySQL and MariaDB on `127.0.0.1`, since their clients
//! take `localhost` for a Unix socket) through the usual variables: `DATABASE_URL`, libpq's
//! `PG*`, `MYSQL_*`, `REDIS_URL`, `MONGODB_URI`, `AMQP_URL`, and Laravel's `DB_*` for PHP units.

use serde::Serialize;

use crate::config::{ServiceKind, ServiceSettings};
use crate::detect::Language;

/// A variable set on a step or a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Var {
    /// The name (validated: letters, digits, `_`).
    pub name: String,
    /// The value, printed through the `yaml` filter.
    pub value: String,
}

fn var(name: &str, value: impl Into<String>) -> Var {
    Var {
        name: name.to_owned(),
        value: value.into(),
    }
}

/// One service container of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Service {
    /// Its key under `services:` (`postgres`).
    pub id: String,
    /// The image with its tag (`postgres:17`).
    pub image: String,
    /// The port, published under the same number.
    pub port: u16,
    /// The container's variables (`POSTGRES_PASSWORD` …).
    pub env: Vec<Var>,
    /// `docker create` options: the health check.
    pub options: String,
    /// Where it comes from, for a comment: `slipway.yml` or the file it was detected in.
    pub from: String,
}

/// The settings with their defaults filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The kind.
    pub kind: ServiceKind,
    /// The image with its tag.
    pub image: String,
    /// The database.
    pub database: String,
    /// The user.
    pub user: String,
    /// The password.
    pub password: String,
}

/// Fills in the defaults of a service's settings.
pub fn resolve(kind: ServiceKind, s: &ServiceSettings) -> Resolved {
    let image = match (&s.image, &s.version) {
        (Some(image), _) => image.as_str().to_owned(),
        (None, Some(v)) => format!("{}:{}", kind.image(), v.as_str()),
        (None, None) => format!("{}:{}", kind.image(), kind.default_version()),
    };
    let (user, password) = match kind {
        ServiceKind::Postgres => ("postgres", "postgres"),
        ServiceKind::Mysql | ServiceKind::Mariadb => ("root", "root"),
        ServiceKind::Rabbitmq => ("guest", "guest"),
        ServiceKind::Redis | ServiceKind::Mongodb => ("", ""),
    };
    let word = |w: &Option<crate::config::Word>, d: &str| {
        w.as_ref()
            .map_or_else(|| d.to_owned(), |w| w.as_str().to_owned())
    };
    Resolved {
        kind,
        image,
        database: word(&s.database, "app_test"),
        user: word(&s.user, user),
        password: word(&s.password, password),
    }
}

/// The job's `services:` entry of a resolved service.
pub fn container(r: &Resolved, from: &str) -> Service {
    let health = |cmd: &str, interval: &str, retries: u32| {
        format!(
            "--health-cmd \"{cmd}\" --health-interval {interval} --health-timeout 5s --health-retries {retries}"
        )
    };
    let (env, options) = match r.kind {
        ServiceKind::Postgres => (
            vec![
                var("POSTGRES_USER", &r.user),
                var("POSTGRES_PASSWORD", &r.password),
                var("POSTGRES_DB", &r.database),
            ],
            health("pg_isready", "5s", 20),
        ),
        ServiceKind::Mysql | ServiceKind::Mariadb => {
            let prefix = if r.kind == ServiceKind::Mysql {
                "MYSQL"
            } else {
                "MARIADB"
            };
            let mut env = vec![
                var(&format!("{prefix}_ROOT_PASSWORD"), &r.password),
                var(&format!("{prefix}_DATABASE"), &r.database),
            ];
            if r.user != "root" {
                env.push(var(&format!("{prefix}_USER"), &r.user));
                env.push(var(&format!("{prefix}_PASSWORD"), &r.password));
            }
            // NOTE: over TCP, so the check fails while the image's first-start server (which
            // listens on the socket only) creates the database.
            let cmd = if r.kind == ServiceKind::Mysql {
                "mysqladmin ping -h 127.0.0.1"
            } else {
                "healthcheck.sh --connect --innodb_initialized"
            };
            (env, health(cmd, "5s", 30))
        }
        ServiceKind::Redis => (Vec::new(), health("redis-cli ping", "5s", 20)),
        ServiceKind::Mongodb => (
            vec![var("MONGO_INITDB_DATABASE", &r.database)],
            health("mongosh --quiet --eval 1", "5s", 20),
        ),
        ServiceKind::Rabbitmq => (
            vec![
                var("RABBITMQ_DEFAULT_USER", &r.user),
                var("RABBITMQ_DEFAULT_PASS", &r.password),
            ],
            health("rabbitmq-diagnostics -q ping", "10s", 18),
        ),
    };
    Service {
        id: r.kind.as_str().to_owned(),
        image: r.image.clone(),
        port: r.kind.port(),
        env,
        options,
        from: from.to_owned(),
    }
}

/// The variables that point a unit's tests at the service. Ruby units get `mysql2://` URLs
/// (Active Record's adapter name); PHP units get Laravel's `DB_*` / `REDIS_*`.
pub fn test_env(r: &Resolved, language: Language) -> Vec<Var> {
    let port = r.kind.port();
    let (user, password, db) = (&r.user, &r.password, &r.database);
    let php = language == Language::Php;
    let mut out = Vec::new();
    match r.kind {
        ServiceKind::Postgres => {
            out.push(var(
                "DATABASE_URL",
                format!("postgres://{user}:{password}@localhost:{port}/{db}"),
            ));
            out.push(var("PGHOST", "localhost"));
            out.push(var("PGPORT", port.to_string()));
            out.push(var("PGUSER", user));
            out.push(var("PGPASSWORD", password));
            out.push(var("PGDATABASE", db));
            if php {
                out.extend(laravel("pgsql", port, r));
            }
        }
        ServiceKind::Mysql | ServiceKind::Mariadb => {
            let scheme = if language == Language::Ruby {
                "mysql2"
            } else {
                "mysql"
            };
            out.push(var(
                "DATABASE_URL",
                format!("{scheme}://{user}:{password}@127.0.0.1:{port}/{db}"),
            ));
            out.push(var("MYSQL_HOST", "127.0.0.1"));
            out.push(var("MYSQL_TCP_PORT", port.to_string()));
            out.push(var("MYSQL_USER", user));
            out.push(var("MYSQL_PASSWORD", password));
            out.push(var("MYSQL_DATABASE", db));
            if php {
                out.extend(laravel(r.kind.as_str(), port, r));
            }
        }
        ServiceKind::Redis => {
            out.push(var("REDIS_URL", format!("redis://localhost:{port}/0")));
            let host = if php { "127.0.0.1" } else { "localhost" };
            out.push(var("REDIS_HOST", host));
            out.push(var("REDIS_PORT", port.to_string()));
        }
        ServiceKind::Mongodb => {
            let url = format!("mongodb://localhost:{port}/{db}");
            out.push(var("MONGODB_URI", &url));
            out.push(var("MONGO_URL", url));
        }
        ServiceKind::Rabbitmq => {
            let url = format!("amqp://{user}:{password}@localhost:{port}/");
            out.push(var("AMQP_URL", &url));
            out.push(var("RABBITMQ_URL", url));
        }
    }
    out
}

fn laravel(connection: &str, port: u16, r: &Resolved) -> Vec<Var> {
    vec![
        var("DB_CONNECTION", connection),
        var("DB_HOST", "127.0.0.1"),
        var("DB_PORT", port.to_string()),
        var("DB_DATABASE", &r.database),
        var("DB_USERNAME", &r.user),
        var("DB_PASSWORD", &r.password),
    ]
}

/// Adds `more` to `vars`; a name already present keeps its first value unless `replace`.
pub fn merge(vars: &mut Vec<Var>, more: Vec<Var>, replace: bool) {
    for v in more {
        match vars.iter_mut().find(|x| x.name == v.name) {
            Some(existing) if replace => existing.value = v.value,
            Some(_) => {}
            None => vars.push(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_give_a_pinned_image_a_health_check_and_the_usual_variables() {
        let r = resolve(ServiceKind::Postgres, &ServiceSettings::default());
        assert_eq!(r.image, "postgres:17");
        let c = container(&r, "slipway.yml");
        assert_eq!(c.port, 5432);
        assert!(
            c.options.starts_with("--health-cmd \"pg_isready\""),
            "{}",
            c.options
        );
        let env = test_env(&r, Language::Python);
        assert_eq!(
            env[0].value,
            "postgres://postgres:postgres@localhost:5432/app_test"
        );
        assert!(env.iter().any(|v| v.name == "PGPASSWORD"));
        assert!(!env.iter().any(|v| v.name == "DB_CONNECTION"));
    }

    #[test]
    fn mysql_uses_tcp_and_the_scheme_and_names_of_the_stack() {
        let s = ServiceSettings {
            user: crate::config::Word::parse("app"),
            password: crate::config::Word::parse("secret"),
            ..ServiceSettings::default()
        };
        let r = resolve(ServiceKind::Mysql, &s);
        let c = container(&r, "compose.yaml");
        let names: Vec<&str> = c.env.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "MYSQL_ROOT_PASSWORD",
                "MYSQL_DATABASE",
                "MYSQL_USER",
                "MYSQL_PASSWORD"
            ]
        );
        assert!(c.options.contains("-h 127.0.0.1"));
        let ruby = test_env(&r, Language::Ruby);
        assert_eq!(ruby[0].value, "mysql2://app:secret@127.0.0.1:3306/app_test");
        let php = test_env(&r, Language::Php);
        assert!(php.contains(&var("DB_CONNECTION", "mysql")));
        assert!(php.contains(&var("DB_USERNAME", "app")));
    }

    #[test]
    fn configured_variables_replace_the_services_own() {
        let mut vars = vec![var("DATABASE_URL", "a"), var("PGHOST", "localhost")];
        merge(
            &mut vars,
            vec![var("DATABASE_URL", "b"), var("X", "1")],
            true,
        );
        assert_eq!(
            vars,
            [
                var("DATABASE_URL", "b"),
                var("PGHOST", "localhost"),
                var("X", "1")
            ]
        );
        merge(&mut vars, vec![var("X", "2")], false);
        assert_eq!(vars[2].value, "1");
    }
}
