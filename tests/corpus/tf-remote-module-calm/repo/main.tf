# One destination written here, and the Cloud ALM destinations left to a module kept in a
# private Git repository, the way teams share one module across subaccounts.
resource "btp_subaccount_destination" "bpmon" {
  subaccount_id  = var.subaccount_id
  name           = "CALM_BPMON"
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = "https://acme.eu10.alm.cloud.sap/api"
  authentication = "OAuth2ClientCredentials"
}

module "calm_em" {
  source        = "git::https://oauth2:glpat-Hq7vX2mNc9LpR4sT8wZb@gitlab.example.com/platform/btp-calm-destinations.git//em?ref=v2.3.1"
  subaccount_id = var.subaccount_id
  calm_url      = "https://acme.eu10.alm.cloud.sap/"
}

module "network" {
  source  = "acme/network/btp"
  version = "1.4.0"
  cidr    = "10.0.0.0/16"
}

variable "subaccount_id" {
  type = string
}
