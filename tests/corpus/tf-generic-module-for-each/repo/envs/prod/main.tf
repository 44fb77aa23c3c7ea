module "destinations" {
  source        = "../../modules/destinations"
  subaccount_id = var.subaccount_id
  destinations = {
    calm = {
      Name                = "CALM_BPMON"
      Type                = "HTTP"
      ProxyType           = "Internet"
      URL                 = "https://acme.eu10.alm.cloud.sap"
      Authentication      = "OAuth2ClientCredentials"
      clientId            = "sb-calm-acme!b12|calm-api!b3"
      clientSecret        = var.calm_client_secret
      tokenServiceURLType = "Dedicated"
      tokenServiceURL     = "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"
    }
    approuter = {
      Name           = "srv-api"
      Type           = "HTTP"
      ProxyType      = "Internet"
      URL            = "https://acme-srv.cfapps.eu10.hana.ondemand.com"
      Authentication = "NoAuthentication"
    }
  }
}

variable "subaccount_id" {
  type = string
}

variable "calm_client_secret" {
  type      = string
  sensitive = true
}
