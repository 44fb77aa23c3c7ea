variable "subaccount_id" {
  description = "The Entitlement Management subaccount"
  type        = string
}

variable "calm_url" {
  description = "SAP Cloud ALM URL: the service key's endpoints.Api without the final api"
  type        = string
  default     = "https://acme-demo.eu10.alm.cloud.sap/"
}

variable "calm_client_secret" {
  description = "uaa.clientsecret of the SAP Cloud ALM service key; supplied by the pipeline (TF_VAR_calm_client_secret)"
  type        = string
  sensitive   = true
}

variable "bpa_subaccount_id" {
  description = "The SAP Build Process Automation subaccount"
  type        = string
}

variable "calm_push_destinations" {
  description = "Cloud ALM push destinations by name: the URL and, when not Dedicated, the token URL type"
  type = map(object({
    url            = string
    token_url_type = optional(string, "Dedicated")
  }))
  default = {}
}
