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

# Cloud ALM push destinations of other services, one per entry of var.calm_push_destinations
# (terraform.tfvars): for_each gives each its own address, calm_push["CALM_HEALTH"]. Planted
# fault: CALM_HEALTH's URL in terraform.tfvars keeps the /api of the key's endpoint.
resource "btp_subaccount_destination" "calm_push" {
  for_each       = var.calm_push_destinations
  subaccount_id  = var.subaccount_id
  name           = each.key
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = each.value.url
  authentication = "OAuth2ClientCredentials"
  additional_configuration = jsonencode({
    clientId            = local.calm_client_id
    clientSecret        = var.calm_client_secret
    tokenServiceURL     = "https://${local.calm_zone}.authentication.eu10.hana.ondemand.com/oauth/token"
    tokenServiceURLType = each.value.token_url_type
  })
}

# SAP Build Process Automation's destination in its own subaccount, through a module. Planted
# fault: the URL passed here keeps /api; the result points at this line, where it is written.
module "process_automation_destination" {
  source        = "./modules/calm-destination"
  subaccount_id = var.bpa_subaccount_id
  name          = "sap_process_automation_cloud_alm"
  url           = "https://acme-demo.eu10.alm.cloud.sap/api/"
  client_id     = local.calm_client_id
  client_secret = var.calm_client_secret
  token_url     = "https://${local.calm_zone}.authentication.eu10.hana.ondemand.com/oauth/token"
}
