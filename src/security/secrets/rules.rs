//! The secret rules: one entry per credential format, each with the keywords that must occur
//! before its regex runs, and the format check that cuts false positives.
//!
//! Every pattern is a byte regex in ASCII mode (`(?-u)`); the capture group `s` (or the whole
//! match) is the secret itself, the only part that is redacted, hashed and never printed.

use crate::security::Level;

/// A check beyond the regex.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Check {
    /// The regex is the whole format.
    None,
    /// GitHub's token formats end in a CRC32 checksum of the random part, in base62.
    GithubChecksum,
    /// The header and payload are base64url JSON objects, the header names an `alg`.
    Jwt,
    /// A value assigned to a secret-looking name: not code, not a placeholder, random enough.
    Generic,
    /// A value that must look random: mixed character classes and this many bits per byte.
    Random(f64),
    /// A PEM block: the matching `-----END …-----` follows with a base64 body.
    Pem,
    /// The password of a URL must not be a placeholder; local hosts rate lower.
    UrlPassword,
}

/// One secret format.
#[derive(Debug)]
pub struct Rule {
    /// Stable kebab-case id: the SARIF rule id, the `rule:` of an allow entry.
    pub id: &'static str,
    /// What it is, in a few words.
    pub name: &'static str,
    /// What to do about a finding.
    pub help: &'static str,
    pub level: Level,
    /// At least one must occur on a line before the regex runs there (case-sensitive).
    pub keywords: &'static [&'static str],
    pub pattern: &'static str,
    pub check: Check,
}

const ROTATE: &str = "Revoke the credential at its issuer now (it is in the git history), issue a new one, and keep it in a secret store (GitHub Actions secrets) instead of the repository.";

/// Every rule, most specific first: when two rules report the same place, the earlier wins.
pub const RULES: &[Rule] = &[
    Rule {
        id: "github-token",
        name: "GitHub token (ghp_, gho_, ghu_, ghs_, ghr_)",
        help: ROTATE,
        level: Level::Critical,
        keywords: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        pattern: r"(?-u)\b(?P<s>gh[pousr]_[A-Za-z0-9]{36})\b",
        check: Check::GithubChecksum,
    },
    Rule {
        id: "github-fine-grained-token",
        name: "GitHub fine-grained personal access token",
        help: ROTATE,
        level: Level::Critical,
        keywords: &["github_pat_"],
        pattern: r"(?-u)\b(?P<s>github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
        check: Check::None,
    },
    Rule {
        id: "gitlab-token",
        name: "GitLab token",
        help: ROTATE,
        level: Level::Critical,
        keywords: &["glpat-", "gldt-", "glrt-", "glptt-"],
        pattern: r"(?-u)\b(?P<s>(?:glpat|gldt|glrt|glptt)-[A-Za-z0-9_\-]{20,64})(?:[^A-Za-z0-9_\-]|$)",
        check: Check::Random(3.0),
    },
    Rule {
        id: "aws-access-key-id",
        name: "AWS access key id",
        help: ROTATE,
        level: Level::High,
        keywords: &["AKIA", "ASIA", "ABIA", "ACCA"],
        pattern: r"(?-u)(?:^|[^A-Za-z0-9])(?P<s>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?:[^A-Za-z0-9]|$)",
        check: Check::None,
    },
    Rule {
        id: "aws-secret-access-key",
        name: "AWS secret access key",
        help: ROTATE,
        level: Level::Critical,
        keywords: &["aws", "AWS", "Aws"],
        pattern: r#"(?-u)(?i:aws)[A-Za-z0-9_.\-]{0,20}(?i:secret|sk)[A-Za-z0-9_.\-]{0,20}["']?\s*(?::=|=>|=|:)\s*["']?(?P<s>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        check: Check::Random(4.0),
    },
    Rule {
        id: "slack-token",
        name: "Slack token",
        help: ROTATE,
        level: Level::High,
        // `xox` covers every `xox?-` and `xoxe.` prefix in one of the 64 prefilter keywords.
        keywords: &["xox", "xapp-"],
        // Bot, user and legacy tokens (`xoxb-<team id>-<bot id>-<random>`, `xoxa-2-<team id>-…`;
        // ids have six digits or more, so `xoxp-1234-1234-…` is a placeholder), configuration
        // access and refresh tokens (`xoxe.xoxp-1-<base64>`, `xoxe-1-<base64>`, whose base64
        // of numbers has a digit, unlike `xoxe.xoxp-1-TokenHere`) and app-level tokens
        // (`xapp-1-<app id>-<n>-<hex>`). The token must end at a boundary, so a value cut short
        // by a placeholder (`xoxp-123456-456789-789123-####`) is not one.
        pattern: r"(?-u)\b(?P<s>xox[abposr]-(?:[0-9]{1,2}-)?[0-9]{6,}-[A-Za-z0-9\-]{10,250}|xoxe(?:\.xox[bp])?-[0-9]+-[A-Za-z]{0,16}[0-9][A-Za-z0-9\-]{9,250}|xapp-[0-9]+-[A-Z0-9]{6,}-[0-9]{6,}-[A-Za-z0-9]{20,250})(?:[^A-Za-z0-9\-#*]|$)",
        check: Check::None,
    },
    Rule {
        id: "slack-webhook",
        name: "Slack incoming webhook",
        help: "Delete the webhook in the Slack app settings, create a new one and keep its URL in a secret.",
        level: Level::High,
        keywords: &["hooks.slack.com"],
        // `services/T…/B…/<secret>`, and workflow triggers with a numeric id before the secret.
        pattern: r"(?-u)https?://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>T[A-Z0-9]{6,}/[AB][A-Z0-9]{6,}/(?:[0-9]{6,}/)?[A-Za-z0-9]{20,})",
        check: Check::None,
    },
    Rule {
        id: "stripe-live-key",
        name: "Stripe live secret or restricted key",
        help: ROTATE,
        level: Level::Critical,
        keywords: &["k_live_"],
        pattern: r"(?-u)\b(?P<s>[sr]k_live_[0-9A-Za-z]{24,99})\b",
        check: Check::None,
    },
    Rule {
        id: "stripe-test-key",
        name: "Stripe test secret key",
        help: "Test keys reach only test data, but still roll it and keep it out of the repository.",
        level: Level::Low,
        keywords: &["k_test_"],
        pattern: r"(?-u)\b(?P<s>[sr]k_test_[0-9A-Za-z]{24,99})\b",
        check: Check::Random(3.0),
    },
    Rule {
        id: "gcp-service-account-key",
        name: "Google Cloud service account key (JSON)",
        help: "Delete the key in IAM (Service accounts, Keys), create a new one or switch to workload identity federation.",
        level: Level::Critical,
        keywords: &["\"private_key\""],
        pattern: r#"(?-u)"private_key"\s*:\s*"(?P<s>-----BEGIN PRIVATE KEY-----\\n[A-Za-z0-9+/=\\]{64,}?\\n-----END PRIVATE KEY-----)"#,
        check: Check::None,
    },
    Rule {
        id: "google-api-key",
        name: "Google API key",
        help: ROTATE,
        level: Level::High,
        keywords: &["AIza"],
        pattern: r"(?-u)\b(?P<s>AIza[0-9A-Za-z_\-]{35})(?:[^0-9A-Za-z_\-]|$)",
        check: Check::Random(3.0),
    },
    Rule {
        id: "azure-storage-key",
        name: "Azure storage account key",
        help: "Rotate the storage account key in the Azure portal (Access keys) and use a SAS or managed identity instead.",
        level: Level::Critical,
        keywords: &["AccountKey=", "accountkey=", "ACCOUNTKEY="],
        pattern: r"(?-u)(?i:AccountKey)=(?P<s>[A-Za-z0-9+/]{86}==)",
        check: Check::Random(4.0),
    },
    Rule {
        id: "npm-token",
        name: "npm access token",
        help: ROTATE,
        level: Level::High,
        keywords: &["npm_"],
        pattern: r"(?-u)\b(?P<s>npm_[A-Za-z0-9]{36})\b",
        check: Check::Random(3.0),
    },
    Rule {
        id: "pypi-token",
        name: "PyPI API token",
        help: ROTATE,
        level: Level::High,
        keywords: &["pypi-AgE"],
        pattern: r"(?-u)\b(?P<s>pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_\-]{50,})",
        check: Check::None,
    },
    Rule {
        id: "dockerhub-token",
        name: "Docker Hub personal access token",
        help: ROTATE,
        level: Level::High,
        keywords: &["dckr_"],
        pattern: r"(?-u)\b(?P<s>dckr_(?:pat|oat)_[A-Za-z0-9_\-]{27,})",
        check: Check::Random(3.0),
    },
    Rule {
        id: "twilio-api-key",
        name: "Twilio API key",
        help: ROTATE,
        level: Level::High,
        keywords: &["wilio", "TWILIO"],
        pattern: r#"(?-u)(?i:twilio)[A-Za-z0-9_ .\-"':=]{0,40}?\b(?P<s>SK[0-9a-fA-F]{32})\b"#,
        check: Check::None,
    },
    Rule {
        id: "sendgrid-api-key",
        name: "SendGrid API key",
        help: ROTATE,
        level: Level::High,
        keywords: &["SG."],
        pattern: r"(?-u)\b(?P<s>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})(?:[^A-Za-z0-9_\-]|$)",
        check: Check::Random(3.5),
    },
    Rule {
        id: "mailgun-api-key",
        name: "Mailgun API key",
        help: ROTATE,
        level: Level::High,
        keywords: &["key-"],
        pattern: r"(?-u)\b(?P<s>key-[0-9a-f]{32})\b",
        check: Check::Random(3.0),
    },
    Rule {
        id: "openai-api-key",
        name: "OpenAI API key",
        help: ROTATE,
        level: Level::Critical,
        keywords: &["T3BlbkFJ"],
        pattern: r"(?-u)\b(?P<s>sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_\-]{16,}T3BlbkFJ[A-Za-z0-9_\-]{16,})",
        check: Check::None,
    },
    Rule {
        id: "anthropic-api-key",
        name: "Anthropic API key",
        help: ROTATE,
        level: Level::Critical,
        keywords: &["sk-ant-"],
        // 93 characters and `AA` after the prefix; a longer run or another ending is not a key.
        pattern: r"(?-u)\b(?P<s>sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_\-]{93}AA)(?:[^A-Za-z0-9_\-]|$)",
        check: Check::None,
    },
    Rule {
        id: "private-key",
        name: "Private key (PEM: RSA, EC, DSA, OpenSSH, PKCS#8, PGP)",
        help: "Treat the key pair as compromised: revoke it where it is trusted (deploy keys, certificates, signing), generate a new one and keep it in a secret store.",
        level: Level::Critical,
        keywords: &["-----BEGIN"],
        pattern: r"(?-u)(?P<s>-----BEGIN (?P<label>(?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----)",
        check: Check::Pem,
    },
    Rule {
        id: "jwt",
        name: "JSON Web Token",
        help: "A JWT is a bearer credential until it expires: invalidate it (rotate the signing key when it does not expire) and load tokens at run time.",
        level: Level::Medium,
        keywords: &["eyJ"],
        pattern: r"(?-u)\b(?P<s>eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,})",
        check: Check::Jwt,
    },
    Rule {
        id: "url-password",
        name: "Database or broker URL with a password",
        help: "Change the password on the server and pass the URL through an environment variable or secret.",
        level: Level::High,
        keywords: &["://"],
        // Every scheme: databases, brokers (`amqps`, `mongodb+srv`), `ftp`, `smtps`, `https`;
        // the user may be empty (`redis://:pass@host`).
        pattern: r#"(?-u)\b[A-Za-z][A-Za-z0-9+.\-]{1,20}://[^\s:/@"'<>]{0,64}:(?P<s>[^\s/@"'<>]{3,128})@(?P<host>[A-Za-z0-9.\-_]+)"#,
        check: Check::UrlPassword,
    },
    Rule {
        id: "secret-attribute",
        name: "Secret in a key/value attribute pair",
        help: "Move the value to a secret store (or the environment) and read it at run time; keep only the key in the file.",
        level: Level::Medium,
        keywords: &["value=", "Value="],
        // `<add key="DbPassword" value="…" />` (.NET config), `<entry key="api.token" value="…"/>`.
        pattern: r#"(?-u)(?i:key|name)\s*=\s*"[^"]{0,60}(?i:password|passwd|secret|token|api[_\-]?key|access[_\-]?key)[^"]{0,40}"\s+(?i:value)\s*=\s*"(?P<s>[^"\s<>]{8,200})""#,
        check: Check::Generic,
    },
    Rule {
        id: "generic-secret",
        name: "Secret assigned to a password, secret, token or API key name",
        help: "Move the value to a secret store and read it from the environment at run time.",
        level: Level::Medium,
        // Case variants as written in code; the regex itself ignores case.
        keywords: &[
            "password",
            "Password",
            "PASSWORD",
            "passwd",
            "secret",
            "Secret",
            "SECRET",
            "token",
            "Token",
            "TOKEN",
            "api_key",
            "apikey",
            "apiKey",
            "API_KEY",
            "api-key",
            "access_key",
            "ACCESS_KEY",
            "accessKey",
        ],
        // An optional type annotation between name and value: `API_KEY: &str = "…"`,
        // `apiKey: string = '…'`, Go's `var apiToken string = "…"`; the assignments of make
        // (`::=`, `:::=`, `?=`) and PHP (`.=`); a quoted name and value as two arguments
        // (`setProperty("API_TOKEN", "…")`).
        pattern: r#"(?-u)(?i:password|passwd|pwd|secret[_\-]?key|secret|token|api[_\-]?key|access[_\-]?key|auth[_\-]?key)(?:["']?\s*(?::\s*&?'?[A-Za-z_][A-Za-z0-9_<>\[\]:]{0,40}\s*=|\s[A-Za-z_][A-Za-z0-9_.\[\]*]{0,40}\s*=|:{1,3}=|\.=|\?=|=>|==|=|:)|["']\s*,\s*["'])\s*(?P<q>["'`]?)(?P<s>[^\s"'`,;\\()\[\]{}<>]{8,200})"#,
        check: Check::Generic,
    },
];

/// The rule with this id.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}
