terraform {
  required_providers {
    btp = {
      source  = "SAP/btp"
      version = "~> 1.8"
    }
  }
}

variable "subaccount_id" {
  type = string
}

variable "env" {
  type        = string
  description = "Stage of the landscape: dev, test or prod"
}

variable "monitoring_destination_name" {
  type        = string
  description = "Name of the instance-level Cloud ALM destination"
}

variable "calm_client_id" {
  type = string
}

variable "calm_client_secret" {
  type      = string
  sensitive = true
}

variable "destination_plan_id" {
  type = string
}

# The subaccount-level push destination, named per stage.
resource "btp_subaccount_destination" "calm" {
  subaccount_id  = var.subaccount_id
  name           = "CALM_${var.env}"
  type           = "HTTP"
  proxy_type     = "Internet"
  url            = "https://acme.eu10.alm.cloud.sap/"
  authentication = "OAuth2ClientCredentials"
  additional_configuration = jsonencode({
    clientId            = var.calm_client_id
    clientSecret        = var.calm_client_secret
    tokenServiceURLType = "Dedicated"
    tokenServiceURL     = "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"
  })
}

# The destination service instance of the application, with its own monitoring destination.
resource "btp_subaccount_service_instance" "destination" {
  subaccount_id  = var.subaccount_id
  name           = "app-destination"
  serviceplan_id = var.destination_plan_id
  parameters = jsonencode({
    init_data = {
      instance = {
        existing_destinations_policy = "update"
        destinations = [
          {
            Name                = var.monitoring_destination_name
            Type                = "HTTP"
            ProxyType           = "Internet"
            URL                 = "https://acme.eu10.alm.cloud.sap/"
            Authentication      = "OAuth2ClientCredentials"
            clientId            = var.calm_client_id
            clientSecret        = var.calm_client_secret
            tokenServiceURLType = "Dedicated"
            tokenServiceURL     = "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"
          }
        ]
      }
    }
  })
}
