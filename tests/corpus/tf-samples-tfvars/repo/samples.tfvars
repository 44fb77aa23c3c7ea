# Your global account subdomain
globalaccount = "acme-ga"
subaccount_id = "6aa64c2f-38c1-49a9-b2e8-cf9fea769b7f"

calm_url            = "https://acme.eu10.alm.cloud.sap/api"
calm_token_url_type = "Common"
