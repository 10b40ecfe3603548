"""Writes a labelled set of files for benches/secrets-recall.sh: `P` lines hold a real-shaped
secret (random, never a live credential), `N` lines look like one but are not."""
import os, random, string, sys

root, labels_path = sys.argv[1], sys.argv[2]
random.seed(7)
pos, neg = [], []


def rnd(n, alpha=string.ascii_letters + string.digits):
    return "".join(random.choice(alpha) for _ in range(n))


def pw():
    return rnd(6, string.ascii_lowercase) + rnd(4, string.digits) + random.choice("!#%&*") + rnd(5)


def w(rel, text, label):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a") as f:
        f.write(text + "\n")
    n = sum(1 for _ in open(path))
    (pos if label else neg).append((rel, n))


b32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
w("config/app.yaml", "database:", False)
w("config/app.yaml", f'  password: "{pw()}"', True)
w("config/app.toml", f'password = "{pw()}"', True)
w("config/app.ini", f"password = {pw()}", True)
w("config/app.properties", f"spring.datasource.password={pw()}", True)
w(".env", f"DB_PASSWORD={pw()}", True)
w(".env.production", f"SECRET_KEY={rnd(40)}", True)
w("web.config", f'<add key="ApiPassword" value="{pw()}" />', True)
w("app.config", f'<connectionStrings><add name="db" connectionString="Server=db.prod.example.net;Database=app;User Id=app;Password={pw()};" /></connectionStrings>', True)
w("settings.py", f'DATABASES = {{"default": {{"PASSWORD": "{pw()}"}}}}', True)
w("config.js", f'const dbPassword = "{pw()}";', True)
w("Main.java", f'String password = "{pw()}";', True)
w("main.go", f'\tpassword := "{pw()}"', True)
w("app.rb", f'config.secret_token = "{rnd(48)}"', True)
w("docker-compose.yml", f"      POSTGRES_PASSWORD: {pw()}", True)
w("k8s/secret.yaml", f'  api_key: "{rnd(32)}"', True)
w("appsettings.json", f'  "ClientSecret": "{rnd(34)}",', True)
w("deploy.sh", f"export API_TOKEN={rnd(36)}", True)
w("terraform.tfvars", f'db_password = "{pw()}"', True)
w("Program.cs", f'var conn = "Server=tcp:prod.database.windows.net;Password={pw()};";', True)
w("storage.txt", f"DefaultEndpointsProtocol=https;AccountName=prodstore;AccountKey={rnd(86, string.ascii_letters + string.digits + '+/')}==;EndpointSuffix=core.windows.net", True)
w("aws/credentials", f"aws_access_key_id = AKIA{rnd(16, b32)}", True)
w("aws/credentials", f"aws_secret_access_key = {rnd(40, string.ascii_letters + string.digits + '/+')}", True)
w("boto.py", f'client = boto3.client("s3", aws_access_key_id="AKIA{rnd(16, b32)}", aws_secret_access_key="{rnd(40)}")', True)
w("mongo.env", f"MONGO_URL=mongodb+srv://admin:{pw()}@cluster0.abcde.mongodb.net/app", True)
w("amqp.conf", f"broker_url = amqps://svc:{pw()}@mq.prod.example.net:5671/vhost", True)
w("redis.conf", f"REDIS_URL=redis://:{pw()}@cache.prod.example.net:6379/0", True)
w("ftp.txt", f"upload to ftp://deploy:{pw()}@files.prod.example.net/incoming", True)
w("smtp.yaml", f"smtp_url: smtps://mailer:{pw()}@smtp.prod.example.net:465", True)
w("setup.cfg", f"password = {pw()}", True)
w(".npmrc", f"//registry.npmjs.org/:_authToken=npm_{rnd(36)}", True)
w("php/config.php", f"$db_password = '{pw()}';", True)
w("src/lib.rs", f'const API_KEY: &str = "{rnd(32)}";', True)
w("Dockerfile", f"ENV ADMIN_PASSWORD={pw()}", True)
w("ansible/vars.yml", f'vault_db_password: "{pw()}"', True)
for t in [
    'password: "${DB_PASSWORD}"', "password: <your-password>", 'password = "changeme"',
    'password: "{{ vault_password }}"', "PASSWORD=${{ secrets.DB_PASSWORD }}",
    "password: ${env:DB_PASSWORD}", 'api_key: "YOUR_API_KEY_HERE"',
    'password = os.environ["DB_PASSWORD"]', "token: xxxxxxxxxxxxxxxx", "password=********",
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "DATABASE_URL=postgres://postgres:postgres@localhost/app", "redis://localhost:6379/0",
    "https://github.com/org/repo.git",
    "password_field = forms.CharField(widget=forms.PasswordInput)",
    "def check_password(password):", "token = get_token(request)",
    "secret_key = settings.SECRET_KEY", "password: !vault |",
]:
    w("neg/config.yaml", t, False)
w("neg/package-lock.json", '"integrity": "sha512-' + rnd(86, string.ascii_letters + string.digits + "+/") + '=="', False)
w("neg/yarn.lock", '  resolved "https://registry.yarnpkg.com/a/-/a-1.0.0.tgz#' + rnd(40, "0123456789abcdef") + '"', False)
w("neg/Cargo.lock", 'checksum = "' + rnd(64, "0123456789abcdef") + '"', False)
w("neg/id_rsa.pub", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ" + rnd(300, string.ascii_letters + string.digits + "+/") + " user@host", False)
w("neg/secrets.enc.yaml", "password: ENC[AES256_GCM,data:" + rnd(24) + ",iv:" + rnd(22) + "=,tag:" + rnd(22) + "==,type:str]", False)
w("neg/vault.yml", "$ANSIBLE_VAULT;1.1;AES256", False)
w("neg/template.j2", 'password = "{{ db_password }}"', False)
w("neg/go.sum", "golang.org/x/net v0.1.0 h1:" + rnd(43) + "=", False)
w("neg/README.md", "Set `api_key` to the value from the dashboard.", False)
w("neg/example.env", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", False)
with open(labels_path, "w") as f:
    for p, n in pos:
        f.write(f"P\t{p}\t{n}\n")
    for p, n in neg:
        f.write(f"N\t{p}\t{n}\n")
print(f"labelled set: {len(pos)} secrets, {len(neg)} look-alikes")
