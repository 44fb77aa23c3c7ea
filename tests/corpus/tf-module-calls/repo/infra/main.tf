module "calm_em" {
  source        = "../modules/destination"
  subaccount_id = var.subaccount_id
  name          = "CALM_EM"
  url           = "https://acme.eu10.alm.cloud.sap/api"
  additional_configuration = {
    clientId            = "sb-calm-acme!b12|calm-api!b3"
    clientSecret        = var.calm_client_secret
    tokenServiceURL     = "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"
    tokenServiceURLType = "Dedicated"
  }
}

module "calm_bpa" {
  source        = "../modules/destination"
  subaccount_id = var.subaccount_id
  name          = "sap_process_automation_cloud_alm"
  url           = "https://acme.eu10.alm.cloud.sap/"
  additional_configuration = {
    clientId            = "sb-calm-acme!b12|calm-api!b3"
    clientSecret        = var.calm_client_secret
    tokenServiceURL     = "https://acme.authentication.eu10.hana.ondemand.com/oauth/token"
    tokenServiceURLType = "Dedicated"
  }
}

module "landscape" {
  source  = "SAP-samples/landscape/btp"
  version = "0.1.0"
}

variable "subaccount_id" {
  type = string
}

variable "calm_client_secret" {
  type      = string
  sensitive = true
}
