# The Cloud Transport Management destination exists only where a service key is given.
resource "btp_subaccount_destination" "transport_management" {
  count = var.ctms_service_key != null ? 1 : 0

  subaccount_id  = var.subaccountid
  name           = "TransportManagementService"
  type           = "HTTP"
  url            = jsondecode(var.ctms_service_key)["uri"]
  authentication = "OAuth2ClientCredentials"
  proxy_type     = "Internet"
}

resource "btp_subaccount_destination" "calm" {
  count = var.enable_calm ? 1 : 0

  subaccount_id  = var.subaccountid
  name           = "CALM_BPMON"
  type           = "HTTP"
  url            = "https://acme.eu10.alm.cloud.sap/api/"
  authentication = "OAuth2ClientCredentials"
  proxy_type     = "Internet"
  additional_configuration = jsonencode({
    clientId            = "sb-calm-acme!b12|calm-api!b3"
    clientSecret        = var.calm_client_secret
    tokenServiceURL     = "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"
    tokenServiceURLType = "Dedicated"
  })
}

resource "btp_subaccount_destination" "calm_legacy" {
  count = var.enable_legacy ? 1 : 0

  subaccount_id = var.subaccountid
  name          = "CALM_LEGACY"
  url           = "http://legacy.example.com"
}

variable "subaccountid" {
  type = string
}

variable "ctms_service_key" {
  type    = string
  default = null
}

variable "enable_calm" {
  type    = bool
  default = true
}

variable "calm_client_secret" {
  type      = string
  sensitive = true
}

variable "enable_legacy" {
  type    = bool
  default = false
}
