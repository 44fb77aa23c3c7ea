subaccount_id = "6aa64c2f-38c1-49a9-b2e8-cf9fea769b7f"
bpa_subaccount_id = "7bb64c2f-38c1-49a9-b2e8-cf9fea769b7f"

calm_push_destinations = {
  CALM_HEALTH = {
    url = "https://acme-demo.eu10.alm.cloud.sap/api/"
  }
  CALM_OPPS = {
    url = "https://acme-demo.eu10.alm.cloud.sap/"
  }
}
