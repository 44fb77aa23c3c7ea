terraform {
  required_providers {
    btp = {
      source = "SAP/btp"
    }
  }
}

variable "subaccount_id" {
  type = string
}

# The Cloud ALM service key, as `cf service-key` or `btp get services/binding` gives it.
variable "calm_service_key" {
  type      = string
  sensitive = true
}

# Several keys by purpose, as a map of decoded objects.
variable "keys" {
  type = map(object({
    clientid     = string
    clientsecret = string
  }))
  sensitive = true
}

locals {
  calm = jsondecode(var.calm_service_key)
}

resource "btp_subaccount_destination" "decoded" {
  subaccount_id  = var.subaccount_id
  name           = "CALM_DECODED"
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = "https://acme.eu10.alm.cloud.sap/"
  authentication = "OAuth2ClientCredentials"
  additional_configuration = jsonencode({
    clientId            = jsondecode(var.calm_service_key)["uaa"]["clientid"]
    clientSecret        = jsondecode(var.calm_service_key)["uaa"]["clientsecret"]
    tokenServiceURLType = "Dedicated"
    tokenServiceURL     = "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"
  })
}

resource "btp_subaccount_destination" "lookup" {
  subaccount_id  = var.subaccount_id
  name           = "CALM_LOOKUP"
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = "https://acme.eu10.alm.cloud.sap/"
  authentication = "OAuth2ClientCredentials"
  additional_configuration = jsonencode({
    clientId            = lookup(local.calm.uaa, "clientid")
    clientSecret        = lookup(local.calm.uaa, "clientsecret")
    tokenServiceURLType = "Dedicated"
    tokenServiceURL     = "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"
  })
}

resource "btp_subaccount_destination" "map_key" {
  subaccount_id  = var.subaccount_id
  name           = "CALM_MAP_KEY"
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = "https://acme.eu10.alm.cloud.sap/"
  authentication = "OAuth2ClientCredentials"
  additional_configuration = jsonencode({
    clientId            = var.keys["calm"].clientid
    clientSecret        = var.keys["calm"].clientsecret
    tokenServiceURLType = "Dedicated"
    tokenServiceURL     = "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"
  })
}

resource "btp_subaccount_destination" "per_stage" {
  for_each       = toset(["dev", "prod"])
  subaccount_id  = var.subaccount_id
  name           = "CALM_${upper(each.key)}"
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = "https://acme.eu10.alm.cloud.sap/"
  authentication = "OAuth2ClientCredentials"
  additional_configuration = jsonencode({
    clientId            = var.keys["calm-${each.key}"].clientid
    clientSecret        = each.key == "prod" ? var.keys["calm-prod"].clientsecret : var.keys["calm-dev"].clientsecret
    tokenServiceURLType = "Dedicated"
    tokenServiceURL     = "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"
  })
}
