locals {
  environments = {
    dev  = { tenant = "acme-dev" }
    prod = { tenant = "acme" }
  }
}

resource "btp_subaccount_destination" "calm" {
  for_each       = local.environments
  subaccount_id  = var.subaccount_id
  name           = "CALM_${upper(each.key)}"
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = "https://${each.value.tenant}.eu10.alm.cloud.sap/"
  authentication = "OAuth2ClientCredentials"
  additional_configuration = jsonencode({
    clientId            = "sb-calm-${each.value.tenant}!b12|calm-api!b3"
    clientSecret        = coalesce(var.calm_client_secret, "corpus-fallback-secret")
    tokenServiceURLType = "Dedicated"
    tokenServiceURL     = "https://${each.value.tenant}.authentication.eu10.hana.ondemand.com/oauth/token"
  })
}

resource "btp_subaccount_destination_generic" "tries" {
  subaccount_id = var.subaccount_id
  destination_configuration = jsonencode({
    Name         = "CALM_TRY"
    URL          = "https://acme.eu10.alm.cloud.sap/"
    clientSecret = try(var.secrets["calm"], "corpus-try-secret")
    Password     = var.use_vault ? var.vault_password : "corpus-branch-secret"
  })
}

resource "btp_subaccount_destination_generic" "encoded" {
  subaccount_id = var.subaccount_id
  destination_configuration = jsonencode({
    Name         = "CALM_ENCODED"
    URL          = "https://acme.eu10.alm.cloud.sap/"
    clientSecret = base64decode(var.encoded_secret)
  })
}

variable "subaccount_id" {
  type = string
}

variable "calm_client_secret" {
  type      = string
  sensitive = true
}

variable "secrets" {
  type      = map(string)
  sensitive = true
}

variable "use_vault" {
  type = bool
}

variable "vault_password" {
  type      = string
  sensitive = true
}

variable "encoded_secret" {
  type      = string
  sensitive = true
}
