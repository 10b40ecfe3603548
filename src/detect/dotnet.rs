//! .NET: solutions (`*.sln`, `*.slnx`), projects (`*.csproj`, `*.fsproj`), `global.json` and
//! `Directory.Build.props`.
//!
//! A solution is the unit CI builds: it becomes a project (`nuget`) at its directory, tested
//! with one `dotnet test` there when it lists at least one test project, and the projects it
//! lists are subprojects without a command of their own. A project file that no solution lists
//! is its own project; it gets `dotnet test` when it is a test project. When a directory holds
//! more than one solution or project file, the command names the file (`dotnet test App.sln`),
//! as `dotnet test` refuses to guess. Test projects are those referencing
//! `Microsoft.NET.Test.Sdk`, xUnit, NUnit, MSTest or TUnit, using `MSTest.Sdk`, or setting
//! `<IsTestProject>true</IsTestProject>`.
//!
//! Stack: C# for `.csproj`, F# for `.fsproj`; a solution takes the majority of its projects.
//! Visual Basic projects are not detected.
//!
//! Toolchain (`dotnet`): `global.json`'s `sdk.version` ([`Source::ToolchainFile`]), then the
//! highest `TargetFramework(s)` of a project or `Directory.Build.props` ([`Source::Manifest`],
//! `net8.0` → `8.0`, `netcoreapp3.1` → `3.1`; .NET Framework and .NET Standard targets name no
//! SDK and are skipped). `global.json` declares no language: the SDK serves C# and F# alike.
//!
//! Formats: <https://learn.microsoft.com/dotnet/core/tools/global-json>,
//! <https://learn.microsoft.com/dotnet/standard/frameworks>,
//! <https://learn.microsoft.com/visualstudio/extensibility/internals/solution-dot-sln-file>.

use std::collections::{BTreeMap, BTreeSet};

use super::maven::xml;
use super::{Language, PackageManager, Project, Scan, Source, dir_of, file_name, join, normalize};

/// True for file names this ecosystem reads.
pub fn interesting(file_name: &str) -> bool {
    is_solution(file_name)
        || is_project(file_name)
        || matches!(file_name, "global.json" | "Directory.Build.props")
}

fn is_solution(name: &str) -> bool {
    name.ends_with(".sln") || name.ends_with(".slnx")
}

fn is_project(name: &str) -> bool {
    name.ends_with(".csproj") || name.ends_with(".fsproj")
}

fn language_of(path: &str) -> Language {
    if path.ends_with(".fsproj") {
        Language::Fsharp
    } else {
        Language::Csharp
    }
}

/// What a project file (or `Directory.Build.props`) declares.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ProjectFile {
    /// The highest target framework's SDK version (`8.0`).
    pub sdk: Option<String>,
    /// True for a test project.
    pub test: bool,
}

/// Reads this ecosystem's files and reports into the scan.
pub fn scan(scan: &mut Scan<'_>) {
    let index = scan.index();
    for rel in index.named("global.json") {
        if let Some(text) = scan.read(rel) {
            match parse_global_json(&text) {
                Ok(Some(v)) => scan.toolchain("dotnet", &v, Source::ToolchainFile, rel),
                Ok(None) => {}
                Err(message) => scan.warn(rel, message),
            }
        }
    }
    let mut projects: BTreeMap<&str, ProjectFile> = BTreeMap::new();
    for rel in index.matching(|n| is_project(n) || n == "Directory.Build.props") {
        let parsed = match scan.read(rel).map(|t| parse_project(&t)) {
            Some(Ok(p)) => p,
            Some(Err(message)) => {
                scan.warn(rel, message);
                ProjectFile::default()
            }
            None => ProjectFile::default(),
        };
        if let Some(v) = &parsed.sdk {
            scan.toolchain("dotnet", v, Source::Manifest, rel);
        }
        if is_project(file_name(rel)) {
            projects.insert(rel, parsed);
        }
    }

    // Directories holding more than one solution or project file: commands name the file.
    let mut per_dir: BTreeMap<&str, usize> = BTreeMap::new();
    for rel in index.matching(|n| is_solution(n) || is_project(n)) {
        *per_dir.entry(dir_of(rel)).or_default() += 1;
    }
    let command = |rel: &str| {
        if per_dir.get(dir_of(rel)).copied().unwrap_or(0) > 1 {
            format!("dotnet test {}", file_name(rel))
        } else {
            "dotnet test".to_owned()
        }
    };

    let mut listed: BTreeSet<String> = BTreeSet::new();
    for rel in index.matching(is_solution) {
        let dir = dir_of(rel);
        let entries = match scan.read(rel) {
            Some(text) if rel.ends_with(".slnx") => match parse_slnx(&text) {
                Ok(entries) => entries,
                Err(message) => {
                    scan.warn(rel, message);
                    Vec::new()
                }
            },
            Some(text) => parse_sln(&text),
            None => Vec::new(),
        };
        let members: Vec<String> = entries
            .iter()
            .filter(|e| is_project(file_name(e)))
            .filter_map(|e| normalize(&join(dir, e)))
            .collect();
        let fsharp = members.iter().filter(|m| m.ends_with(".fsproj")).count();
        let has_tests = members
            .iter()
            .any(|m| projects.get(m.as_str()).is_some_and(|p| p.test));
        scan.project(Project {
            path: dir.to_owned(),
            stack: if fsharp * 2 > members.len() {
                Language::Fsharp
            } else {
                Language::Csharp
            },
            package_manager: PackageManager::Nuget,
            test_command: has_tests.then(|| command(rel)),
        });
        listed.extend(members);
    }
    for (rel, parsed) in &projects {
        let member = listed.contains(*rel);
        scan.project(Project {
            path: dir_of(rel).to_owned(),
            stack: language_of(rel),
            package_manager: PackageManager::Nuget,
            test_command: (!member && parsed.test).then(|| command(rel)),
        });
    }
}

/// Reads `sdk.version` from global.json.
pub fn parse_global_json(text: &str) -> Result<Option<String>, String> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    if !doc.is_object() {
        return Err("not a JSON object".to_owned());
    }
    Ok(doc
        .get("sdk")
        .and_then(|s| s.get("version"))
        .and_then(|v| v.as_str())
        .map(str::to_owned))
}

/// Parses an MSBuild project file (or `Directory.Build.props`).
pub fn parse_project(text: &str) -> Result<ProjectFile, String> {
    const TEST_PACKAGES: &[&str] = &[
        "microsoft.net.test.sdk",
        "xunit",
        "xunit.v3",
        "nunit",
        "mstest",
        "mstest.testframework",
        "tunit",
    ];
    let mut out = ProjectFile::default();
    let mut root: Option<String> = None;
    let mut best: Option<(Vec<u64>, String)> = None;
    xml::walk(text, |node| match node {
        xml::Node::Open { path, attrs } => {
            if path.len() == 1 {
                root = Some(path[0].clone());
                if attrs
                    .iter()
                    .any(|(k, v)| k == "Sdk" && v.starts_with("MSTest.Sdk"))
                {
                    out.test = true;
                }
            }
            if path.len() == 3
                && path[1] == "ItemGroup"
                && path[2] == "PackageReference"
                && attrs.iter().any(|(k, v)| {
                    k == "Include" && TEST_PACKAGES.contains(&v.to_ascii_lowercase().as_str())
                })
            {
                out.test = true;
            }
        }
        xml::Node::Text { path, text } => {
            if path.len() != 3 || path[1] != "PropertyGroup" {
                return;
            }
            match path[2].as_str() {
                "TargetFramework" | "TargetFrameworks" => {
                    for tfm in text.split(';') {
                        if let Some(v) = tfm_version(tfm) {
                            let key = version_key(&v);
                            if best.as_ref().is_none_or(|(k, _)| key > *k) {
                                best = Some((key, v));
                            }
                        }
                    }
                }
                "IsTestProject" if text.eq_ignore_ascii_case("true") => out.test = true,
                _ => {}
            }
        }
    })?;
    if root.as_deref() != Some("Project") {
        return Err("the root element is not `<Project>`; is this an MSBuild file?".to_owned());
    }
    out.sdk = best.map(|(_, v)| v);
    Ok(out)
}

fn version_key(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// The SDK version a target framework needs: `net8.0` → `8.0`, `net8.0-windows` → `8.0`,
/// `netcoreapp3.1` → `3.1`; `None` for .NET Framework (`net48`), .NET Standard and
/// `$(Property)` references.
pub fn tfm_version(tfm: &str) -> Option<String> {
    let tfm = tfm.trim().to_ascii_lowercase();
    let tfm = tfm.split('-').next().unwrap_or("");
    let v = tfm
        .strip_prefix("netcoreapp")
        .or_else(|| tfm.strip_prefix("net").filter(|v| v.contains('.')))?;
    let ok = v.split('.').count() == 2
        && v.split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    ok.then(|| v.to_owned())
}

/// The project paths a classic `.sln` lists, `/`-separated, relative to the solution:
/// `Project("{FAE04EC0-…}") = "Api", "src\Api\Api.csproj", "{…}"`. Solution folders are listed
/// too (their "path" is a name) and are filtered out by the caller.
pub fn parse_sln(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix("Project(") else {
            continue;
        };
        let Some((_, rest)) = rest.split_once('=') else {
            continue;
        };
        let strings: Vec<&str> = rest.split('"').skip(1).step_by(2).collect();
        if let Some(path) = strings.get(1) {
            out.push(path.replace('\\', "/"));
        }
    }
    out
}

/// The project paths of an XML solution (`.slnx`): `<Project Path="src/Api/Api.csproj" />`.
pub fn parse_slnx(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    xml::walk(text, |node| {
        if let xml::Node::Open { path, attrs } = node
            && path.last().is_some_and(|n| n == "Project")
            && let Some((_, v)) = attrs.iter().find(|(k, _)| k == "Path")
        {
            out.push(v.replace('\\', "/"));
        }
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn test_projects_and_frameworks() {
        let text = r#"<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFrameworks>net8.0;net9.0;netstandard2.0</TargetFrameworks>
    <IsPackable>false</IsPackable>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Microsoft.NET.Test.Sdk" Version="17.9.0" />
    <PackageReference Include="xunit" Version="2.7.0" />
  </ItemGroup>
</Project>"#;
        assert_eq!(
            parse_project(text).expect("valid"),
            ProjectFile {
                sdk: Some("9.0".into()),
                test: true
            }
        );
        let app = "<Project Sdk=\"Microsoft.NET.Sdk.Web\"><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>";
        assert_eq!(
            parse_project(app).expect("valid"),
            ProjectFile {
                sdk: Some("8.0".into()),
                test: false
            }
        );
        assert!(
            parse_project("<Project Sdk=\"MSTest.Sdk/3.3.1\"/>")
                .expect("valid")
                .test
        );
    }

    #[test]
    fn framework_monikers() {
        assert_eq!(tfm_version("net8.0").as_deref(), Some("8.0"));
        assert_eq!(tfm_version("net10.0-windows").as_deref(), Some("10.0"));
        assert_eq!(tfm_version("netcoreapp3.1").as_deref(), Some("3.1"));
        assert_eq!(tfm_version("net48"), None);
        assert_eq!(tfm_version("netstandard2.1"), None);
        assert_eq!(tfm_version("$(DefaultTfm)"), None);
    }

    #[test]
    fn solutions() {
        let sln = "\u{feff}\nMicrosoft Visual Studio Solution File, Format Version 12.00\n\
Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\") = \"Billing.Api\", \"src\\Billing.Api\\Billing.Api.csproj\", \"{1}\"\nEndProject\n\
Project(\"{2150E333-8FDC-42A3-9474-1A3956D46DE8}\") = \"tests\", \"tests\", \"{2}\"\nEndProject\n";
        assert_eq!(
            parse_sln(sln),
            vec!["src/Billing.Api/Billing.Api.csproj", "tests"]
        );
        let slnx = "<Solution><Folder Name=\"/src/\"><Project Path=\"src/App/App.fsproj\" /></Folder></Solution>";
        assert_eq!(parse_slnx(slnx).expect("valid"), vec!["src/App/App.fsproj"]);
    }

    #[test]
    fn malformed_files_are_errors() {
        assert!(parse_project("<Project><PropertyGroup></Project>").is_err());
        assert!(parse_project("<Foo/>").is_err());
        assert!(parse_global_json("{\"sdk\": {").is_err());
        assert_eq!(
            parse_global_json(r#"{"sdk": {"version": "8.0.204", "rollForward": "latestFeature"}}"#)
                .expect("valid")
                .as_deref(),
            Some("8.0.204")
        );
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_project(&text);
            let _ = parse_sln(&text);
            let _ = parse_slnx(&text);
            let _ = parse_global_json(&text);
            let _ = tfm_version(&text);
        }

        #[test]
        fn parsers_never_panic_on_msbuild_soup(text in "(<Project>|</Project>|<PropertyGroup>|</PropertyGroup>|<TargetFramework>|</TargetFramework>|net8.0|;|Project\\(|=|\"|,|\\\\|\n| |é)*") {
            let _ = parse_project(&text);
            let _ = parse_sln(&text);
            let _ = tfm_version(&text);
        }
    }
}
