use ciam_domain::{Client, Clients, GrantType, NewClient, Redirects, Scope};
use serde_json::{json, Value};

use super::{print_json, CommandError};
use crate::cli::{ClientCommand, GrantTypeArg};

pub fn run(clients: &Clients, command: ClientCommand) -> Result<(), CommandError> {
    match command {
        ClientCommand::Create(args) => {
            let scope = Scope::parse(&args.scope).map_err(|_| {
                "invalid --scope: scope tokens are printable ASCII without '\"' or '\\'"
            })?;
            let grant_types = args.grant_types.iter().map(|g| grant_type(*g)).collect();
            let (client, secret) = clients.create_client(NewClient {
                name: args.name,
                grant_types,
                scope,
                public: args.public,
                redirects: Redirects {
                    redirect_uris: args.redirect_uris,
                    post_logout_redirect_uris: args.post_logout_redirect_uris,
                    backchannel_logout_uri: args.backchannel_logout_uri,
                },
            })?;
            let mut out = describe(&client);
            if let Some(secret) = secret {
                out["client_secret"] = json!(secret.expose());
            }
            print_json(&out)
        }
        ClientCommand::List => {
            let clients: Vec<Value> = clients.list_clients()?.iter().map(describe).collect();
            print_json(&Value::Array(clients))
        }
        ClientCommand::Show { client_id } => match clients.find_client(&client_id)? {
            Some(client) => print_json(&describe(&client)),
            None => Err(format!("no client with client_id {client_id:?}").into()),
        },
        ClientCommand::Delete { client_id } => {
            if clients.delete_client(&client_id, &ciam_domain::Initiator::cli())? {
                print_json(&json!({ "client_id": client_id, "deleted": true }))
            } else {
                Err(format!("no client with client_id {client_id:?}").into())
            }
        }
        ClientCommand::Update(args) => {
            match clients.set_redirect_uris(
                &args.client_id,
                args.redirect_uris,
                &ciam_domain::Initiator::cli(),
            )? {
                Some(client) => print_json(&describe(&client)),
                None => Err(unknown(&args.client_id)),
            }
        }
        ClientCommand::RotateSecret { client_id } => {
            match clients.rotate_secret(&client_id, &ciam_domain::Initiator::cli())? {
                Some((client, secret)) => {
                    let mut out = describe(&client);
                    out["client_secret"] = json!(secret.expose());
                    print_json(&out)
                }
                None => Err(unknown(&client_id)),
            }
        }
    }
}

fn unknown(client_id: &str) -> CommandError {
    format!("no client with client_id {client_id:?}").into()
}

fn grant_type(arg: GrantTypeArg) -> GrantType {
    match arg {
        GrantTypeArg::AuthorizationCode => GrantType::AuthorizationCode,
        GrantTypeArg::ClientCredentials => GrantType::ClientCredentials,
        GrantTypeArg::Password => GrantType::Password,
        GrantTypeArg::RefreshToken => GrantType::RefreshToken,
    }
}

/// A client as shown to operators: never its secret or the secret's hash.
fn describe(client: &Client) -> Value {
    json!({
        "client_id": client.id.as_str(),
        "name": client.name,
        "grant_types": client.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "scope": client.scope.to_string(),
        "public": client.is_public(),
        "redirect_uris": client.redirects.redirect_uris,
        "post_logout_redirect_uris": client.redirects.post_logout_redirect_uris,
        "backchannel_logout_uri": client.redirects.backchannel_logout_uri,
        "created_at": client.created_at.0,
    })
}
