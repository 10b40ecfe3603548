//! Format checks and the known-harmless list: what turns a regex match into a finding.

use base64::Engine as _;

/// Shannon entropy in bits per byte.
pub fn entropy(s: &[u8]) -> f64 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in s {
        counts[usize::from(b)] += 1;
    }
    #[allow(clippy::cast_precision_loss)]
    let len = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// How many of lower case, upper case, digits and other characters occur.
pub fn classes(s: &[u8]) -> usize {
    let lower = s.iter().any(u8::is_ascii_lowercase);
    let upper = s.iter().any(u8::is_ascii_uppercase);
    let digit = s.iter().any(u8::is_ascii_digit);
    let other = s.iter().any(|b| !b.is_ascii_alphanumeric());
    [lower, upper, digit, other].iter().filter(|x| **x).count()
}

/// The CRC-32 (IEEE 802.3) of `data`, as zlib computes it: the same one the artifact zip
/// reader checks entries with.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    crc.sum()
}

const BASE62_DIGITS_FIRST: &[u8] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE62_LETTERS_FIRST: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `n` in base62 with `alphabet`, left-padded with the alphabet's zero to 6 digits.
fn base62(mut n: u32, alphabet: &[u8]) -> [u8; 6] {
    let mut out = [alphabet[0]; 6];
    for slot in out.iter_mut().rev() {
        *slot = alphabet[(n % 62) as usize];
        n /= 62;
    }
    out
}

/// The checksum GitHub appends to a token whose random part is `random` (30 characters):
/// the CRC-32 of the random part in base62, 6 characters.
pub fn github_checksum(random: &[u8]) -> [u8; 6] {
    base62(crc32(random), BASE62_DIGITS_FIRST)
}

/// True when the last 6 characters of a `ghp_…` style token are the CRC-32 checksum of the 30
/// random characters before them. Tokens that fail it are typos, truncations or made up.
pub fn github_token_valid(token: &[u8]) -> bool {
    let Some(underscore) = token.iter().position(|&b| b == b'_') else {
        return false;
    };
    let body = &token[underscore + 1..];
    if body.len() != 36 {
        return false;
    }
    let (random, checksum) = body.split_at(30);
    // NOTE: GitHub documents a CRC-32 in base62; accept either alphabet order and either
    // input (random part, or prefix and random part) so one reading of the format cannot
    // hide real tokens. A random 36-character string passes by chance with p < 1e-10.
    let prefixed = &token[..underscore + 31];
    [random, prefixed].iter().any(|input| {
        let crc = crc32(input);
        [BASE62_DIGITS_FIRST, BASE62_LETTERS_FIRST]
            .iter()
            .any(|alphabet| base62(crc, alphabet) == checksum)
    })
}

/// True when a JWT's header is a base64url JSON object naming an `alg` and its payload is a
/// JSON object.
pub fn jwt_valid(token: &[u8]) -> bool {
    let mut parts = token.split(|&b| b == b'.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return false;
    };
    let decode = |part: &[u8]| -> Option<serde_json::Map<String, serde_json::Value>> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part.strip_suffix(b"=").unwrap_or(part))
            .ok()?;
        match serde_json::from_slice(&bytes).ok()? {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        }
    };
    decode(header).is_some_and(|h| h.contains_key("alg")) && decode(payload).is_some()
}

/// Words that mark a value as a placeholder or a documented example.
const PLACEHOLDERS: &[&str] = &[
    "example",
    "xxxx",
    "changeme",
    "change_me",
    "change-me",
    "placeholder",
    "your_",
    "your-",
    "yourtoken",
    "yourkey",
    "dummy",
    "redacted",
    "****",
    "...",
    "<",
    ">",
    "${",
    "{{",
    "%(",
    "0000000000",
    "1234567890",
    "abcdefgh",
];

/// AWS's documented example credentials.
const DOCUMENTED: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
];

/// True for values that are certainly not credentials: documented examples, placeholders,
/// template references, a run of one character.
pub fn harmless(secret: &[u8]) -> bool {
    let text = String::from_utf8_lossy(secret);
    if DOCUMENTED.iter().any(|d| text.contains(d)) {
        return true;
    }
    let lower = text.to_ascii_lowercase();
    if PLACEHOLDERS.iter().any(|p| lower.contains(p)) {
        return true;
    }
    entropy(secret) < 2.0
}

/// True for values that are identifiers and hashes, not credentials: UUIDs, git SHAs and
/// other hex digests, integrity strings (`sha512-…`), dotted names (`os.environ`).
pub fn looks_like_hash_or_name(value: &[u8]) -> bool {
    let hex = |s: &[u8]| s.iter().all(u8::is_ascii_hexdigit);
    if matches!(value.len(), 32 | 40 | 64 | 128) && hex(value) {
        return true;
    }
    if value.len() == 36 {
        let groups: Vec<&[u8]> = value.split(|&b| b == b'-').collect();
        if groups.iter().map(|g| g.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
            && groups.iter().all(|g| hex(g))
        {
            return true;
        }
    }
    for prefix in [
        "sha1-", "sha256-", "sha384-", "sha512-", "sha256:", "sha512:",
    ] {
        if value.starts_with(prefix.as_bytes()) {
            return true;
        }
    }
    // `_bindgen_ty_12`, `client_secret_v2`, `MAX_TOKEN_LEN`: snake-case identifiers. A long
    // run of letters and digits is no word of a name (`CLOJARS_34bf0e88955ff5a1c328…`).
    let word = |part: &[u8]| {
        (part.iter().all(|b| !b.is_ascii_uppercase())
            || part.iter().all(|b| !b.is_ascii_lowercase()))
            && !(part.len() >= 20
                && part.iter().any(u8::is_ascii_digit)
                && part.iter().any(u8::is_ascii_alphabetic))
    };
    if value.contains(&b'_')
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        && value.split(|&b| b == b'_').all(word)
    {
        return true;
    }
    // `settings.SECRET_KEY`, `os.environ`, `process.env.TOKEN`, `Foo::BAR`, `get_token`.
    value
        .iter()
        .all(|&b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

/// True when a generic assignment's value is worth reporting.
pub fn generic_value_ok(value: &[u8]) -> bool {
    if value.len() < 8 || looks_like_hash_or_name(value) {
        return false;
    }
    if matches!(
        value.first(),
        Some(b'$' | b'%' | b'@' | b'&' | b'#' | b'*' | b'!' | b'/' | b'.' | b'-' | b'+' | b'=')
    ) {
        return false;
    }
    // Paths and URLs are configuration, not credentials.
    if value.contains(&b'/') && !value.iter().any(u8::is_ascii_digit) {
        return false;
    }
    if value.starts_with(b"http") || value.ends_with(b".") {
        return false;
    }
    classes(value) >= 2 && entropy(value) >= 3.0
}

/// Passwords in URLs that are placeholders or the well-known defaults of local services.
const URL_PLACEHOLDERS: &[&str] = &[
    "password", "pass", "passwd", "pwd", "secret", "postgres", "root", "admin", "user", "test",
    "mysql", "guest", "redis", "mongo", "example", "changeme", "******", "xxx",
];

/// True when the password of a URL is a real-looking value.
pub fn url_password_ok(password: &[u8]) -> bool {
    let lower = String::from_utf8_lossy(password).to_ascii_lowercase();
    if URL_PLACEHOLDERS.contains(&lower.as_str()) {
        return false;
    }
    !matches!(password.first(), Some(b'$' | b'%' | b'{' | b'<' | b'*'))
}

/// True for hosts that only the developer's own machine or a CI service container answers.
pub fn local_host(host: &[u8]) -> bool {
    matches!(
        host,
        b"localhost" | b"127.0.0.1" | b"0.0.0.0" | b"db" | b"postgres" | b"redis" | b"mysql"
    ) || host.ends_with(b".local")
        || host.ends_with(b".localhost")
}

/// File names whose content is hashes and versions: lockfiles.
pub fn is_lockfile(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    matches!(
        name,
        "Cargo.lock"
            | "package-lock.json"
            | "npm-shrinkwrap.json"
            | "yarn.lock"
            | "pnpm-lock.yaml"
            | "bun.lock"
            | "poetry.lock"
            | "uv.lock"
            | "Pipfile.lock"
            | "go.sum"
            | "Gemfile.lock"
            | "composer.lock"
            | "packages.lock.json"
            | "gradle.lockfile"
            | "flake.lock"
            | "mix.lock"
            | "Package.resolved"
    ) || name.ends_with(".lock")
}

/// A well-formed token for tests: `prefix_` + 30 random characters + their checksum.
#[cfg(test)]
pub fn github_token(prefix: &str, random: &str) -> String {
    assert_eq!(random.len(), 30);
    let sum = github_checksum(random.as_bytes());
    format!("{prefix}_{random}{}", String::from_utf8_lossy(&sum))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_zlib_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn a_github_token_with_its_checksum_is_valid_and_a_changed_one_is_not() {
        let t = github_token("ghp", "R9fX2kLm0QpZ7vTb4NcW8sYh1JdA6e");
        assert!(github_token_valid(t.as_bytes()), "{t}");
        let mut broken = t.into_bytes();
        broken[10] = if broken[10] == b'a' { b'b' } else { b'a' };
        assert!(!github_token_valid(&broken));
        assert!(!github_token_valid(
            b"ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        ));
    }

    #[test]
    fn base62_pads_to_six_digits() {
        assert_eq!(&base62(0, BASE62_DIGITS_FIRST), b"000000");
        assert_eq!(&base62(61, BASE62_DIGITS_FIRST), b"00000z");
        assert_eq!(&base62(62, BASE62_DIGITS_FIRST), b"000010");
    }

    #[test]
    fn jwt_header_must_decode_to_json_with_alg() {
        // {"alg":"HS256","typ":"JWT"} . {"sub":"1234567890","name":"John Doe","iat":1516239022}
        let good = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        assert!(jwt_valid(good));
        assert!(!jwt_valid(
            b"eyJub3Rqc29u.eyJzdWIiOiIxIn0.abcdefghijklmnopqrstu"
        ));
        assert!(!jwt_valid(b"eyJ"));
    }

    #[test]
    fn placeholders_and_documented_examples_are_harmless() {
        for v in [
            "AKIAIOSFODNN7EXAMPLE",
            "<your-token>",
            "${{ secrets.TOKEN }}",
            "${API_TOKEN}",
            "changeme",
            "xxxxxxxxxxxxxxxx",
            "aaaaaaaaaaaaaaaaaaaa",
        ] {
            assert!(harmless(v.as_bytes()), "{v}");
        }
        assert!(!harmless(b"Zq8#vL2m!Rt5wXy9"));
    }

    #[test]
    fn hashes_uuids_and_names_are_not_generic_secrets() {
        for v in [
            "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
            "process.env.API_TOKEN",
            "get_secret",
            "os.environ",
            "_bindgen_ty_12",
            "MAX_TOKEN_LEN_2",
        ] {
            assert!(!generic_value_ok(v.as_bytes()), "{v}");
        }
        assert!(generic_value_ok(b"Zq8vL2mRt5wXy9"));
        assert!(generic_value_ok(b"hunter2-S3cret!"));
        // A service prefix before a long random part is a token, not a constant's name.
        assert!(generic_value_ok(
            b"CLOJARS_9c1e7fa2b44d0e3f8a6b5c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d"
        ));
    }

    #[test]
    fn entropy_of_one_symbol_is_zero_and_grows_with_variety() {
        assert!(entropy(b"aaaa") < f64::EPSILON);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
    }
}
