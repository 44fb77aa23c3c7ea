variable "subaccount_id" {
  type = string
}

variable "calm_client_secret" {
  type      = string
  sensitive = true
}

locals {
  # The Cloud ALM API endpoint as the key gives it; the destination must drop the "api".
  calm_api = "https://acme.eu10.alm.cloud.sap/api"
  # The tenant, taken from the endpoint's host.
  tenant = regex("^https://([a-z0-9-]+)\\.", local.calm_api)[0]
}

# Meant to drop the "api", but the pattern only removes a trailing slash: the URL keeps /api.
resource "btp_subaccount_destination" "bpmon" {
  subaccount_id  = var.subaccount_id
  name           = "CALM_BPMON"
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = "${replace(local.calm_api, "/\\/$/", "")}/"
  authentication = "OAuth2ClientCredentials"
  additional_configuration = jsonencode({
    clientId            = "sb-calm-${local.tenant}!b12|calm-api!b3"
    clientSecret        = var.calm_client_secret
    tokenServiceURLType = "Dedicated"
    tokenServiceURL     = "https://${local.tenant}.authentication.eu10.hana.ondemand.com/oauth/token"
  })
}

# Dropping it right, with the same function.
resource "btp_subaccount_destination" "imm" {
  subaccount_id  = var.subaccount_id
  name           = "CALM_IMM"
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = replace(local.calm_api, "/api$/", "")
  authentication = "OAuth2ClientCredentials"
  additional_configuration = jsonencode({
    clientId            = "sb-calm-${local.tenant}!b12|calm-api!b3"
    clientSecret        = var.calm_client_secret
    tokenServiceURLType = format("%-9s", "Dedicated")
    tokenServiceURL     = "https://${local.tenant}.authentication.eu10.hana.ondemand.com/oauth/token"
  })
}
