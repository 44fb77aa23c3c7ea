resource "btp_subaccount_destination" "calm" {
  name           = "CALM_${var.env}"
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = "https://${var.tenant}.eu10.alm.cloud.sap/api"
  authentication = "OAuth2ClientCredentials"
}

resource "btp_subaccount_destination" "by_host" {
  name           = var.push_destination_name
  url            = "https://${var.tenant}.eu10.alm.cloud.sap/"
  authentication = "BasicAuthentication"
}

variable "env" {
  type = string
}

variable "tenant" {
  type = string
}

variable "push_destination_name" {
  type = string
}
