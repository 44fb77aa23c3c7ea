use super::*;
use crate::model::{CodeKind, Level, Value};

const MAIN: &str = r#"resource "btp_subaccount_destination" "bpmon" {
  subaccount_id  = var.subaccount_id
  name           = "CALM_BPMON"
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = var.calm_url
  authentication = "OAuth2ClientCredentials"
  additional_configuration = jsonencode({
clientId            = local.client_id
clientSecret        = var.calm_client_secret
tokenServiceURL     = "https://${local.zone}.authentication.eu10.hana.ondemand.com/oauth/token"
TokenServiceURLType = "dedicated"
"URL.headers.x"     = btp_subaccount.this.id
  })
}

resource "btp_subaccount_destination_generic" "generic" {
  subaccount_id       = var.subaccount_id
  service_instance_id = btp_subaccount_service_instance.destinations.id
  destination_configuration = jsonencode(merge(local.common, {
Name     = "CALM_GENERIC"
Password = ""
  }))
}

resource "btp_subaccount_service_instance" "destinations" {
  subaccount_id  = var.subaccount_id
  name           = "calm-destinations"
  serviceplan_id = data.btp_subaccount_service_plan.lite.id
  parameters = jsonencode({
init_data = {
  instance = {
    existing_destinations_policy = "update"
    destinations = [
      {
        Name         = "CALM_INIT"
        URL          = "https://acme.eu10.alm.cloud.sap/"
        clientSecret = var.literal_secret
      }
    ]
  }
}
  })
}

resource "btp_subaccount" "this" {
  name = "other"
}

locals {
  zone      = "acme"
  client_id = "sb-calm-acme!b12|calm-api!b3"
  common    = { Type = "HTTP", URL = "https://acme.eu10.alm.cloud.sap/" }
}
"#;

const VARIABLES: &str = r#"variable "subaccount_id" {
  type = string
}

variable "calm_url" {
  type    = string
  default = "https://default.eu10.alm.cloud.sap/"
}

variable "calm_client_secret" {
  type      = string
  sensitive = true
}

variable "literal_secret" {
  default = "written-in-the-repository"
}
"#;

const TFVARS: &str = "calm_url = \"https://acme.eu10.alm.cloud.sap/\"\n";

fn module(tfvars: bool) -> Vec<Destination> {
    let config = [File { path: "infra/main.tf", text: MAIN }, File { path: "infra/variables.tf", text: VARIABLES }];
    let vars: &[File] = if tfvars { &[File { path: "infra/terraform.tfvars", text: TFVARS }] } else { &[] };
    read(&config, vars).unwrap()
}

#[test]
fn both_destination_resources_and_service_instance_init_data() {
    let ds = module(true);
    let shape: Vec<(&str, Option<Level>, &str)> =
        ds.iter().map(|d| (d.name(), d.origin.level, d.origin.code.as_ref().unwrap().object.as_str())).collect();
    assert_eq!(
        shape,
        [
            ("CALM_BPMON", Some(Level::Subaccount), "btp_subaccount_destination.bpmon"),
            ("CALM_GENERIC", Some(Level::Instance), "btp_subaccount_destination_generic.generic"),
            ("CALM_INIT", Some(Level::Instance), "btp_subaccount_service_instance.destinations"),
        ]
    );
    assert_eq!(ds[0].qualified_origin(), "infra/main.tf:1 btp_subaccount_destination.bpmon (subaccount level)");
    assert!(ds.iter().all(|d| d.code_kind() == Some(CodeKind::Terraform)));
}

#[test]
fn values_inside_jsonencode_are_located_on_their_own_line() {
    let ds = module(true);
    let bpmon = &ds[0];
    assert_eq!(bpmon.text("TokenServiceURLType"), Some("dedicated"));
    assert_eq!(bpmon.line_of("TokenServiceURLType"), 12);
    // A value from a local is located where the literal is written, in the locals block.
    assert_eq!(bpmon.line_of("clientId"), 52);
    assert_eq!(bpmon.line_of("clientSecret"), 10, "an unresolved value is located where it is used");
}

#[test]
fn variables_tfvars_and_locals_are_evaluated() {
    let with = module(true);
    assert_eq!(with[0].text("URL"), Some("https://acme.eu10.alm.cloud.sap/"));
    assert_eq!((with[0].path_of("URL"), with[0].line_of("URL")), ("infra/terraform.tfvars", 1));
    let without = module(false);
    assert_eq!(without[0].text("URL"), Some("https://default.eu10.alm.cloud.sap/"));
    assert_eq!((without[0].path_of("URL"), without[0].line_of("URL")), ("infra/variables.tf", 7));
    assert_eq!(with[0].text("clientId"), Some("sb-calm-acme!b12|calm-api!b3"));
    assert_eq!(with[0].text("tokenServiceURL"), Some("https://acme.authentication.eu10.hana.ondemand.com/oauth/token"));
    assert_eq!(with[1].text("URL"), Some("https://acme.eu10.alm.cloud.sap/"), "merge() of a local");
}

#[test]
fn what_exists_only_at_apply_time_is_unresolved_and_named() {
    let ds = module(true);
    assert_eq!(ds[0].get("clientSecret").unwrap().expression(), Some("var.calm_client_secret"));
    assert_eq!(ds[0].get("URL.headers.x").unwrap().expression(), Some("btp_subaccount.this.id"));
    assert!(matches!(ds[1].get("Password").unwrap().value, Value::Secret(ref s) if s.is_blank()));
    let literal = ds[2].get("clientSecret").unwrap();
    assert!(matches!(literal.value, Value::Secret(_)));
    assert_eq!((ds[2].path_of("clientSecret"), ds[2].line_of("clientSecret")), ("infra/variables.tf", 16));
}

#[test]
fn an_unknown_configuration_makes_the_destination_opaque() {
    let text =
        "resource \"btp_subaccount_destination\" \"x\" {\n  name = \"CALM_X\"\n  additional_configuration = jsonencode(var.cfg)\n}\n";
    let ds = read(&[File { path: "m.tf", text }], &[]).unwrap();
    assert_eq!(ds[0].origin.code.as_ref().unwrap().opaque.as_deref(), Some("additional_configuration = jsonencode(var.cfg)"));
}

#[test]
fn hostile_configurations_are_errors_or_unresolved_never_panics() {
    let bad = "resource \"btp_subaccount_destination\" \"x\" {\n  name = \"CALM_X\"\n  clientSecret = \"hunter2\" {\n}\n";
    let e = read(&[File { path: "m.tf", text: bad }], &[]).unwrap_err();
    assert_eq!(e.line, Some(3));
    assert!(!e.to_string().contains("hunter2"), "{e}");
    let deep = format!("locals {{\n  x = {}1{}\n}}\n", "[".repeat(500), "]".repeat(500));
    assert!(read(&[File { path: "d.tf", text: &deep }], &[]).is_err());
    let cycle = "locals {\n  a = local.b\n  b = local.a\n}\nresource \"btp_subaccount_destination\" \"x\" {\n  name = \"CALM_X\"\n  url = local.a\n}\n";
    let ds = read(&[File { path: "c.tf", text: cycle }], &[]).unwrap();
    assert_eq!(ds[0].get("URL").unwrap().expression(), Some("local.a"));
    let nested = "resource \"btp_subaccount_destination\" \"x\" {\n  name = \"CALM_X\"\n  additional_configuration = jsonencode({ clientId = { a = 1 } })\n}\n";
    let e = read(&[File { path: "n.tf", text: nested }], &[]).unwrap_err();
    assert!(e.message.contains("\"clientId\" must be a string"), "{}", e.message);
    for text in ["", "resource", "}", "x = ", "locals { a = jsonencode() }", "\u{0}"] {
        let _ = read(&[File { path: "h.tf", text }], &[]);
    }
}

/// Reads files given as (display path, text), each folder of the path a module; display paths
/// double as folders (`/r/` before them), so module sources resolve without a file system.
fn run(files: &[(&str, &str)], var_files: &[(&str, &str)]) -> Outcome {
    let input = |(tag, (path, text)): (usize, &(&str, &str)), apply: bool| {
        let dir = Path::new("/r").join(path).parent().unwrap().to_path_buf();
        Input { tag, shown: (*path).to_owned(), dir, text: (*text).to_owned(), apply }
    };
    let files: Vec<Input> = files.iter().enumerate().map(|f| input(f, false)).collect();
    let first = files.len();
    let var_files: Vec<Input> = var_files.iter().enumerate().map(|(i, f)| input((first + i, f), true)).collect();
    read_all(files, var_files, &mut |_, _| Vec::new())
}

fn by_name<'a>(out: &'a Outcome, name: &str) -> &'a Destination {
    out.destinations.iter().find(|d| d.name() == name).unwrap_or_else(|| panic!("no {name} in {:?}", names(out)))
}

fn names(out: &Outcome) -> Vec<String> {
    out.destinations.iter().map(|d| d.shown_name().to_owned()).collect()
}

fn object(d: &Destination) -> &str {
    &d.origin.code.as_ref().unwrap().object
}

const FOR_EACH: &str = r#"resource "btp_subaccount_destination_generic" "calm" {
  for_each                  = var.destinations
  subaccount_id             = var.subaccount_id
  destination_configuration = jsonencode(merge(each.value, { Name = each.key }))
}
"#;

const FOR_EACH_VARS: &str = r#"variable "destinations" {
  type = map(object({
    URL                 = string
    tokenServiceURLType = optional(string, "Dedicated")
    clientSecret        = optional(string)
  }))
  default = {}
}
"#;

const FOR_EACH_TFVARS: &str = r#"destinations = {
  CALM_EM = {
    URL                 = "https://acme.eu10.alm.cloud.sap/"
    tokenServiceURLType = "Common"
    clientSecret        = "written-in-tfvars"
  }
  CALM_BPA = {
    URL = "https://acme.eu10.alm.cloud.sap/api"
  }
}
"#;

#[test]
fn for_each_over_a_map_gives_one_destination_per_key_addressed_and_located_as_terraform_does() {
    let out = run(&[("infra/main.tf", FOR_EACH), ("infra/variables.tf", FOR_EACH_VARS), ("infra/terraform.tfvars", FOR_EACH_TFVARS)], &[]);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(names(&out), ["CALM_BPA", "CALM_EM"], "instances in key order");
    let em = by_name(&out, "CALM_EM");
    assert_eq!(object(em), "btp_subaccount_destination_generic.calm[\"CALM_EM\"]");
    // Each value where it is written: the key and the values in terraform.tfvars.
    assert_eq!((em.path_of("Name"), em.line_of("Name")), ("infra/terraform.tfvars", 2));
    assert_eq!((em.path_of("tokenServiceURLType"), em.line_of("tokenServiceURLType")), ("infra/terraform.tfvars", 4));
    assert!(matches!(em.get("clientSecret").unwrap().value, Value::Secret(_)));
    // An optional attribute's default, where the type writes it; a missing one is no property.
    let bpa = by_name(&out, "CALM_BPA");
    assert_eq!(bpa.text("tokenServiceURLType"), Some("Dedicated"));
    assert_eq!((bpa.path_of("tokenServiceURLType"), bpa.line_of("tokenServiceURLType")), ("infra/variables.tf", 4));
    assert!(bpa.get("clientSecret").is_none());
    assert_eq!(bpa.origin.line, 1, "the destination is the resource block");
}

#[test]
fn count_toset_and_for_expressions_expand_and_unknown_collections_stay_one_destination() {
    let main = r#"locals {
  names = ["CALM_A", "CALM_B"]
}
resource "btp_subaccount_destination" "by_count" {
  count = length(local.names)
  name  = local.names[count.index]
  url   = "https://acme.eu10.alm.cloud.sap/"
}
resource "btp_subaccount_destination" "by_set" {
  for_each = toset(["CALM_S1", "CALM_S2"])
  name     = each.value
}
resource "btp_subaccount_destination" "by_for" {
  for_each = { for n in local.names : "${n}_F" => n }
  name     = each.key
}
resource "btp_subaccount_destination" "conditional" {
  count = var.ctms_key != null ? 1 : 0
  name  = "TransportManagementService"
  url   = jsondecode(var.ctms_key)["uri"]
}
resource "btp_subaccount_destination" "unknown" {
  for_each = var.from_pipeline
  name     = each.key
  additional_configuration = jsonencode({
    clientSecret = coalesce(each.value.secret, "fallback-literal")
  })
}
variable "ctms_key" {
  default = null
}
variable "from_pipeline" {
  type = map(any)
}
"#;
    let out = run(&[("main.tf", main)], &[]);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let shown: Vec<(String, String)> = out.destinations.iter().map(|d| (d.shown_name().to_owned(), object(d).to_owned())).collect();
    let expected = [
        ("CALM_A", "btp_subaccount_destination.by_count[0]"),
        ("CALM_B", "btp_subaccount_destination.by_count[1]"),
        ("CALM_S1", "btp_subaccount_destination.by_set[\"CALM_S1\"]"),
        ("CALM_S2", "btp_subaccount_destination.by_set[\"CALM_S2\"]"),
        ("CALM_A_F", "btp_subaccount_destination.by_for[\"CALM_A_F\"]"),
        ("CALM_B_F", "btp_subaccount_destination.by_for[\"CALM_B_F\"]"),
        ("each.key", "btp_subaccount_destination.unknown"),
    ];
    assert_eq!(shown, expected.map(|(a, b)| (a.to_owned(), b.to_owned())));
    assert_eq!(by_name(&out, "CALM_A").line_of("Name"), 2, "the list item's line");
    let unknown = out.destinations.last().unwrap();
    assert_eq!(unknown.name_expression(), Some("each.key"));
    assert_eq!(unknown.origin.code.as_ref().unwrap().literal_secrets, [("clientSecret".to_owned(), "a fallback")]);
    // A list is not what for_each takes: an error naming the line, as Terraform's.
    let list = "resource \"btp_subaccount_destination\" \"x\" {\n  for_each = [\"a\"]\n  name = each.key\n}\n";
    let out = run(&[("main.tf", list)], &[]);
    assert_eq!(out.errors[0].1.line, Some(2));
    assert!(out.errors[0].1.message.contains("toset"), "{}", out.errors[0].1.message);
}

const CALLER: &str = r#"module "em" {
  source = "../modules/calm"
  name   = "CALM_EM"
  url    = "https://acme.eu10.alm.cloud.sap/api"
}

module "opps" {
  source = "../modules/calm"
  name   = "CALM_OPPS"
  url    = var.opps_url
}

module "per_env" {
  source   = "../modules/calm"
  for_each = toset(["dev", "prod"])
  name     = "CALM_${upper(each.key)}"
}

module "registry" {
  source  = "SAP/destination/btp"
  version = "1.0.0"
}

variable "opps_url" {
  type = string
}
"#;

const MODULE: &str = r#"variable "name" {
  type = string
}

variable "url" {
  type    = string
  default = "https://default.eu10.alm.cloud.sap/"
}

resource "btp_subaccount_destination" "this" {
  name = var.name
  url  = var.url
}
"#;

#[test]
fn module_calls_pass_their_values_and_each_call_is_its_own_destination() {
    let out = run(&[("infra/main.tf", CALLER), ("modules/calm/main.tf", MODULE)], &[]);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let shown: Vec<(String, String)> = out.destinations.iter().map(|d| (d.shown_name().to_owned(), object(d).to_owned())).collect();
    let expected = [
        ("CALM_EM", "module.em.btp_subaccount_destination.this"),
        ("CALM_OPPS", "module.opps.btp_subaccount_destination.this"),
        ("CALM_DEV", "module.per_env[\"dev\"].btp_subaccount_destination.this"),
        ("CALM_PROD", "module.per_env[\"prod\"].btp_subaccount_destination.this"),
    ];
    assert_eq!(shown, expected.map(|(a, b)| (a.to_owned(), b.to_owned())), "the module is not also read alone with its defaults");
    let em = by_name(&out, "CALM_EM");
    // The value is written in the caller: the result points there, not at the module.
    assert_eq!((em.path_of("URL"), em.line_of("URL")), ("infra/main.tf", 4));
    assert_eq!(&*em.origin.path, "modules/calm/main.tf");
    // A value the caller leaves to the deployment is named as the caller writes it, where it does.
    let opps = by_name(&out, "CALM_OPPS");
    assert_eq!(opps.get("URL").unwrap().expression(), Some("var.opps_url"));
    assert_eq!((opps.path_of("URL"), opps.line_of("URL")), ("infra/main.tf", 10));
    // The module's default where no value is passed.
    let dev = by_name(&out, "CALM_DEV");
    assert_eq!((dev.path_of("URL"), dev.line_of("URL")), ("modules/calm/main.tf", 7));
    assert!(out.notes.iter().any(|(_, why)| why.contains("SAP/destination/btp")), "{:?}", out.notes);
    assert_eq!(out.used.len(), 2, "both files took part");
}

#[test]
fn a_module_nobody_calls_is_read_as_a_root_and_its_unknown_name_is_kept() {
    let out = run(&[("modules/calm/main.tf", MODULE)], &[]);
    assert_eq!(out.destinations.len(), 1);
    assert_eq!(out.destinations[0].name_expression(), Some("var.name"));
    assert_eq!(out.destinations[0].name(), "");
}

#[test]
fn module_cycles_and_deep_calls_are_errors_naming_the_call() {
    let a = "module \"b\" {\n  source = \"../b\"\n}\nresource \"btp_subaccount_destination\" \"x\" {\n  name = \"CALM_X\"\n}\n";
    let b = "module \"a\" {\n  source = \"../a\"\n}\n";
    let out = run(&[("a/main.tf", a), ("b/main.tf", b)], &[]);
    let (_, e) = out.errors.iter().find(|(_, e)| e.message.contains("cannot call itself")).expect("a cycle error");
    assert!(e.path == "a/main.tf" || e.path == "b/main.tf", "{e}");
    assert_eq!(e.line, Some(1));
    let me = "module \"me\" {\n  source = \"./\"\n}\n";
    let out = run(&[("self/main.tf", me)], &[]);
    assert!(out.errors.iter().any(|(_, e)| e.message.contains("cannot call itself")), "{:?}", out.errors);
    let missing = "module \"m\" {\n  source = \"./nowhere\"\n}\n";
    let out = run(&[("main.tf", missing)], &[]);
    // A module not read is a failed source, as a remote one given Cloud ALM values is.
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.failures[0].1.line, Some(2));
    assert!(out.failures[0].1.message.contains("module.m: source \"./nowhere\" is not a folder"), "{:?}", out.failures);
}

#[test]
fn override_files_are_merged_attribute_by_attribute() {
    let main = "resource \"btp_subaccount_destination\" \"x\" {\n  name = \"CALM_X\"\n  url  = \"https://acme.eu10.alm.cloud.sap/\"\n  additional_configuration = jsonencode({\n    tokenServiceURLType = \"Dedicated\"\n  })\n}\n";
    let over = "resource \"btp_subaccount_destination\" \"x\" {\n  additional_configuration = jsonencode({\n    tokenServiceURLType = \"Common\"\n  })\n}\n";
    let out = run(&[("main.tf", main), ("main_override.tf", over)], &[]);
    let d = &out.destinations[0];
    assert_eq!(d.text("tokenServiceURLType"), Some("Common"));
    assert_eq!((d.path_of("tokenServiceURLType"), d.line_of("tokenServiceURLType")), ("main_override.tf", 3));
    assert_eq!(d.text("URL"), Some("https://acme.eu10.alm.cloud.sap/"), "attributes the override leaves stay");
    assert_eq!(out.used.len(), 2);
}

#[test]
fn json_syntax_and_variables_files_in_terraform_order() {
    let main = r#"{
  "variable": { "url": { "default": "https://default.eu10.alm.cloud.sap/" } },
  "resource": {
    "btp_subaccount_destination": {
      "x": {
        "name": "CALM_JSON",
        "url": "${var.url}"
      }
    }
  }
}
"#;
    let tfvars_json = "{\n  \"url\": \"https://json.eu10.alm.cloud.sap/\"\n}\n";
    let auto = "url = \"https://auto.eu10.alm.cloud.sap/\"\n";
    let samples = "url = \"https://samples.eu10.alm.cloud.sap/\"\n";
    // terraform.tfvars.json, then *.auto.tfvars: the later wins.
    let out =
        run(&[("main.tf.json", main), ("terraform.tfvars.json", tfvars_json), ("b.auto.tfvars", auto), ("samples.tfvars", samples)], &[]);
    let d = &out.destinations[0];
    assert_eq!(d.text("URL"), Some("https://auto.eu10.alm.cloud.sap/"));
    assert_eq!((d.path_of("URL"), d.line_of("URL")), ("b.auto.tfvars", 1));
    assert_eq!(d.line_of("Name"), 6);
    // samples.tfvars is found and not applied...
    assert_eq!(out.not_applied, [3]);
    // ...until it is given, after the automatic ones.
    let out = run(&[("main.tf.json", main), ("b.auto.tfvars", auto)], &[("samples.tfvars", samples)]);
    let d = &out.destinations[0];
    assert_eq!((d.text("URL"), d.path_of("URL")), (Some("https://samples.eu10.alm.cloud.sap/"), "samples.tfvars"));
    assert!(out.not_applied.is_empty());
}

#[test]
fn hostile_expansions_are_bounded() {
    let many = "resource \"btp_subaccount_destination\" \"x\" {\n  count = 100000000\n  name = \"CALM_${count.index}\"\n}\n";
    let out = run(&[("main.tf", many)], &[]);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.failures[0].1.bound, Some(Bound::Instances(200_000)), "{:?}", out.failures);
    assert!(out.failures[0].1.message.contains("expansion bound"), "{:?}", out.failures);
    // A budget spent is a failed source naming it, never a destination with the rest unknown.
    let nested = "locals {\n  a = [for i in range(100000) : [for j in range(100000) : j]]\n}\nresource \"btp_subaccount_destination\" \"x\" {\n  name = \"CALM_X\"\n  url = local.a[0][0]\n}\n";
    let started = std::time::Instant::now();
    let out = run(&[("main.tf", nested)], &[]);
    assert!(out.destinations.is_empty());
    let (tag, e) = &out.failures[0];
    assert_eq!((*tag, e.path.as_str(), e.line), (0, "main.tf", Some(2)));
    assert!(matches!(e.bound, Some(Bound::Steps(_) | Bound::Values(_))), "{e}");
    assert!(started.elapsed().as_secs() < 60);
}

/// The addresses `terraform show -json` gives for this configuration (checked with Terraform
/// 1.11 and `terraform_data` in place of the destination resource): module instances by key in
/// order, keys quoted as HCL strings, optional attributes filled from the type.
#[test]
fn addresses_are_the_ones_terraform_prints() {
    let module = r#"variable "name" {
  type = string
}
variable "cfg" {
  type    = map(object({ url = string, secret = optional(string, "d") }))
  default = {}
}
resource "btp_subaccount_destination" "this" {
  for_each = var.cfg
  name     = "${var.name}${each.key}"
  url      = each.value.url
  additional_configuration = jsonencode({ clientSecret = each.value.secret })
}
"#;
    let root = r#"module "em" {
  source   = "../mod"
  for_each = toset(["b", "a"])
  name     = "CALM_${upper(each.key)}"
  cfg      = { "_X" = { url = "u1" }, "_\"Q" = { url = "u2", secret = "s" } }
}
"#;
    let out = run(&[("root/main.tf", root), ("mod/main.tf", module)], &[]);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let addresses: Vec<&str> = out.destinations.iter().map(object).collect();
    assert_eq!(
        addresses,
        [
            r#"module.em["a"].btp_subaccount_destination.this["_\"Q"]"#,
            r#"module.em["a"].btp_subaccount_destination.this["_X"]"#,
            r#"module.em["b"].btp_subaccount_destination.this["_\"Q"]"#,
            r#"module.em["b"].btp_subaccount_destination.this["_X"]"#,
        ]
    );
    assert_eq!(names(&out), ["CALM_A_\"Q", "CALM_A_X", "CALM_B_\"Q", "CALM_B_X"]);
    let defaulted = by_name(&out, "CALM_A_X");
    assert!(matches!(defaulted.get("clientSecret").unwrap().value, Value::Secret(_)));
    assert_eq!((defaulted.path_of("clientSecret"), defaulted.line_of("clientSecret")), ("mod/main.tf", 5));
}

/// The idiom that looks a destination up by scanning the list once per instance costs the
/// square of the instances item by item: 3,000 of them are read and judged, not cut short, and
/// within the fixed budget alone, through the index (issue 27).
fn scanned_per_instance(n: usize) -> String {
    let mut text = String::from("variable \"dests\" {\n  default = [\n");
    for i in 0..n {
        text.push_str(&format!("    {{ name = \"CALM_{i}\", url = \"https://t{i}.eu10.alm.cloud.sap/api\" }},\n"));
    }
    text.push_str(
        "  ]\n}\nresource \"btp_subaccount_destination\" \"calm\" {\n  for_each = toset([for d in var.dests : d.name])\n  name = each.key\n  url = [for d in var.dests : d.url if d.name == each.key][0]\n}\n",
    );
    text
}

#[test]
fn a_scan_per_instance_over_3000_destinations_is_read_whole() {
    let text = scanned_per_instance(3_000);
    let low = Bounds { steps_per_instance: 0, ..Bounds::default() };
    let out = read_all_bounded(
        vec![Input { tag: 0, shown: "main.tf".into(), dir: "/r".into(), text, apply: false }],
        Vec::new(),
        &mut |_, _| Vec::new(),
        &low,
    );
    assert!(out.failures.is_empty() && out.errors.is_empty(), "{:?} {:?}", out.failures, out.errors);
    assert_eq!(out.destinations.len(), 3_000);
    assert!(out.destinations.iter().all(|d| d.text("URL").is_some_and(|u| u.ends_with("/api"))));
}

#[test]
fn a_spent_budget_is_a_failure_naming_it_and_drops_what_it_cut() {
    // `&& true` keeps the index out: every instance reads every item.
    let text = scanned_per_instance(300).replace("d.name == each.key]", "d.name == each.key && true]");
    let low = Bounds { steps: 20_000, steps_per_instance: 0, ..Bounds::default() };
    let out = read_all_bounded(
        vec![Input { tag: 7, shown: "main.tf".into(), dir: "/r".into(), text: text.clone(), apply: false }],
        Vec::new(),
        &mut |_, _| Vec::new(),
        &low,
    );
    let (tag, e) = &out.failures[0];
    assert_eq!(*tag, 7);
    assert_eq!(e.bound, Some(Bound::Steps(20_000)));
    assert!(e.to_string().starts_with("main.tf:"), "{e}");
    assert!(e.message.contains("expression budget") && e.message.contains("btp_subaccount_destination.calm[\""), "{e}");
    // What was read before the bound stands, fully known; nothing after it is made up.
    assert!(out.destinations.len() < 300);
    assert!(out.destinations.iter().all(|d| d.text("URL").is_some_and(|u| u.ends_with("/api"))));
}

#[test]
fn a_remote_module_given_cloud_alm_values_is_a_failure() {
    let root = "module \"calm\" {\n  source = \"git::https://oauth2:glpat-s3cr3tT0ken@gitlab.example.com/infra/calm.git//dest?ref=v1.2.0\"\n  name = \"CALM_EM\"\n}\nmodule \"other\" {\n  source = \"app.terraform.io/acme/network/btp\"\n  cidr = \"10.0.0.0/16\"\n}\nresource \"btp_subaccount_destination\" \"x\" {\n  name = \"CALM_X\"\n  url = \"https://acme.eu10.alm.cloud.sap/\"\n}\n";
    let out = run(&[("main.tf", root)], &[]);
    assert_eq!(out.destinations.len(), 1, "what is on disk is still read");
    let [(tag, e)] = out.failures.as_slice() else { panic!("{:?}", out.failures) };
    assert_eq!((*tag, e.line), (0, Some(3)));
    assert!(e.message.contains("module.calm") && e.message.contains("\"name\"") && e.message.contains("CALM_ name"), "{e}");
    assert!(!e.message.contains("glpat") && !e.message.contains("s3cr3t"), "{e}");
    // A remote module given nothing of Cloud ALM is a note, its source redacted too.
    assert_eq!(out.notes.len(), 1, "{:?}", out.notes);
    assert!(out.notes[0].1.contains("app.terraform.io/acme/network/btp"), "{:?}", out.notes);
    for (value, what) in [
        ("url = \"https://${var.t}.eu10.alm.cloud.sap/\"", "known part"),
        ("key = { uaa = { clientid = \"x\" }, endpoints = { Api = \"y\" } }", "Cloud ALM key"),
        ("dests = { CALM_EM = { url = \"u\" } }", "CALM_ name"),
        ("cfg = jsonencode({ Api = \"https://acme.eu10.alm.cloud.sap/api\" })", "Cloud ALM URL"),
    ] {
        let text = format!("module \"m\" {{\n  source = \"terraform-aws-modules/x/aws\"\n  {value}\n}}\n");
        let out = run(&[("main.tf", &text)], &[]);
        assert!(out.failures.first().is_some_and(|(_, e)| e.message.contains(what)), "{value}: {:?}", out.failures);
    }
}

#[test]
fn module_sources_are_shown_redacted() {
    for (source, shown) in [
        (
            "git::https://oauth2:glpat-s3cr3tT0ken@gitlab.example.com/infra/calm.git//dest?ref=v1.2.0",
            "git::https://***@gitlab.example.com/infra/calm.git//dest?ref=***",
        ),
        (
            "s3::https://bucket.s3.amazonaws.com/calm.zip?X-Amz-Credential=AKIAEXAMPLE%2F2026&X-Amz-Signature=deadbeef",
            "s3::https://bucket.s3.amazonaws.com/calm.zip?X-Amz-Credential=***&X-Amz-Signature=***",
        ),
        ("hg::http://user:pw@hg.example.com/repo", "hg::http://***@hg.example.com/repo"),
        ("git@github.com:acme/calm.git?ref=main", "***@github.com:acme/calm.git?ref=***"),
        ("github.com/acme/calm?ref=v1", "github.com/acme/calm?ref=***"),
        ("app.terraform.io/acme/calm/btp", "app.terraform.io/acme/calm/btp"),
        ("./modules/calm", "./modules/calm"),
        ("gcs::https://www.googleapis.com/storage/v1/b/m.zip#frag", "gcs::https://www.googleapis.com/storage/v1/b/m.zip#***"),
    ] {
        assert_eq!(run::module_source_shown(source), shown, "{source}");
    }
}

/// The index a `for` that picks items by one attribute uses gives what reading every item gives,
/// whatever the items hold: duplicates, nulls, numbers, missing attributes, nested paths, maps.
#[test]
fn a_keyed_for_gives_what_reading_every_item_gives() {
    let collections = [
        "[{ n = \"a\", u = \"1\" }, { n = \"b\", u = \"2\" }, { n = \"a\", u = \"3\" }, { n = null, u = \"4\" }]",
        "[{ n = \"1\", u = \"x\" }, { n = 1, u = \"y\" }, { n = \"1.0\", u = \"z\" }]",
        "[{ n = \"a\", u = \"1\" }, { u = \"2\" }]",
        "[{ n = \"a\", u = \"1\" }, { n = [\"a\"], u = \"2\" }]",
        "[{ m = { n = \"a\" }, u = \"1\" }, { m = { n = \"b\" }, u = \"2\" }]",
        "{ k1 = { n = \"b\", u = \"1\" }, k0 = { n = \"b\", u = \"2\" } }",
        "[]",
        "[\"a\", \"b\"]",
    ];
    let wanted = ["\"a\"", "\"b\"", "\"1\"", "\"1.0\"", "null", "\"zz\"", "var.unknown"];
    let forms = [
        ("[for d in local.c : d.u if d.n == local.w]", "[for d in local.c : d.u if d.n == local.w && true]"),
        ("[for d in local.c : d.u if local.w == d.n]", "[for d in local.c : d.u if local.w == d.n && true]"),
        ("[for d in local.c : d.u if d.m.n == local.w]", "[for d in local.c : d.u if d.m.n == local.w && true]"),
        ("{ for k, d in local.c : k => d.u if d.n == local.w }", "{ for k, d in local.c : k => d.u if d.n == local.w && true }"),
        ("[for k, d in local.c : \"${k}=${d.u}\" if d.n == local.w]", "[for k, d in local.c : \"${k}=${d.u}\" if d.n == local.w && true]"),
    ];
    for c in collections {
        for w in wanted {
            for (keyed, scanned) in forms {
                let text = format!("locals {{\n  c = {c}\n  w = {w}\n  x = {keyed}\n  y = {scanned}\n}}\n");
                let sources = vec![syntax::parse("main.tf", &text, 0).unwrap()];
                let folder = run::folder("/r".into(), ".".into(), vec![0], &sources, &[syntax::Role::Config]).unwrap();
                let env = eval::Env::new(&sources);
                let scope = eval::Scope::new(&folder.locals, HashMap::new());
                let ctx = eval::Ctx { env: &env, scope: Some(&scope), each: None, count: None };
                let read = |name: &str| {
                    let (file, expr) = &folder.locals[name];
                    let v = ctx.eval(*file, expr);
                    // Unknown values name their own expression, values made by a template its
                    // line: compare what they are, not those.
                    let shown = format!("{:?}", v.value).replace(" && true", "");
                    let mut out = String::new();
                    let mut rest = shown.as_str();
                    while let Some(at) = rest.find("line: ") {
                        out.push_str(&rest[..at]);
                        rest = rest[at + 6..].trim_start_matches(|c: char| c.is_ascii_digit());
                    }
                    out + rest
                };
                assert_eq!(read("x"), read("y"), "{c} / {w} / {keyed}");
                assert!(env.first_cut().is_none());
            }
        }
    }
}

/// A shape the index cannot answer still reads a whole list per instance: the budget grows with
/// the instances so that it is judged, and without that growth it fails naming the budget.
#[test]
fn the_step_budget_grows_with_the_instances() {
    let text = scanned_per_instance(1_000).replace("d.name == each.key]", "lower(d.name) == lower(each.key)]");
    let read = |bounds: Bounds| {
        let input = Input { tag: 0, shown: "main.tf".into(), dir: "/r".into(), text: text.clone(), apply: false };
        read_all_bounded(vec![input], Vec::new(), &mut |_, _| Vec::new(), &bounds)
    };
    let grown = read(Bounds { steps: 1_000_000, ..Bounds::default() });
    assert!(grown.failures.is_empty(), "{:?}", grown.failures);
    assert_eq!(grown.destinations.len(), 1_000);
    let fixed = read(Bounds { steps: 1_000_000, steps_per_instance: 0, ..Bounds::default() });
    assert_eq!(fixed.failures[0].1.bound, Some(Bound::Steps(1_000_000)));
    let capped = read(Bounds { steps: 1_000_000, steps_cap: 2_000_000, ..Bounds::default() });
    assert_eq!(capped.failures[0].1.bound, Some(Bound::Steps(2_000_000)));
}
