terraform {
  required_providers {
    btp = {
      source  = "SAP/btp"
      version = "~> 1.16"
    }
  }
}

# The Cloud ALM push destination of SAP Entitlement Management, copied from the provider's
# OAuth example. Planted faults: `ClientID`, `ClientSecret`, `TokenServiceURL` and
# `TokenServiceURLType = "dedicated"` are not the property names and value the Destination
# service reads (clientId, clientSecret, tokenServiceURL, Dedicated).
resource "btp_subaccount_destination" "calm_bpmon" {
  subaccount_id  = var.subaccount_id
  name           = "CALM_BPMON"
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = var.calm_url
  authentication = "OAuth2ClientCredentials"
  description    = "SAP Cloud ALM push destination for Entitlement Management"
  additional_configuration = jsonencode({
    ClientID            = local.calm_client_id
    ClientSecret        = var.calm_client_secret
    TokenServiceURL     = "https://${local.calm_zone}.authentication.eu10.hana.ondemand.com/oauth/token"
    TokenServiceURLType = "dedicated"
  })
}

# The same destination written correctly, on the level of a destination service instance.
resource "btp_subaccount_destination_generic" "calm_bpmon_instance" {
  subaccount_id       = var.subaccount_id
  service_instance_id = btp_subaccount_service_instance.destination.id
  destination_configuration = jsonencode({
    Name                = "CALM_BPMON_INSTANCE"
    Type                = "HTTP"
    ProxyType           = "Internet"
    URL                 = var.calm_url
    Authentication      = "OAuth2ClientCredentials"
    clientId            = local.calm_client_id
    clientSecret        = var.calm_client_secret
    tokenServiceURLType = "Dedicated"
    tokenServiceURL     = "https://${local.calm_zone}.authentication.eu10.hana.ondemand.com/oauth/token"
  })
}

resource "btp_subaccount_service_instance" "destination" {
  subaccount_id  = var.subaccount_id
  name           = "calm-destination"
  serviceplan_id = data.btp_subaccount_service_plan.destination_lite.id
}

data "btp_subaccount_service_plan" "destination_lite" {
  subaccount_id = var.subaccount_id
  offering_name = "destination"
  name          = "lite"
}

locals {
  calm_zone      = "acme-demo"
  calm_client_id = "sb-calm-demo!b1234|calm-api!b567"
}
