module github.com/${{ values.repo_owner }}/${{ values.name }}

go 1.19
